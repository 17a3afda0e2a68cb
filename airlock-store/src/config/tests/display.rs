//! The effective values shown by `check-config`, secrets never among them.

use super::*;

#[test]
fn cfg_secrets_never_appear_in_debug_or_entries() {
    let f = Fixture::new();
    let secret = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="; // 32 bytes
    let text = format!(
        "{MINIMAL}secret_key = \"{secret}\"\njobs_api_token = \"tok-s3cret\"\n\
         database_url = \"postgres://u:pw-s3cret@h/db?password=q-s3cret&sslmode=require\"\n"
    );
    let config = f.load(&text).expect("valid");
    assert_eq!(
        config
            .secret_key_or_generate()
            .map(|k| k.as_bytes().len())
            .ok(),
        Some(32)
    );
    let debug = format!("{config:?}");
    for hidden in [secret, "tok-s3cret", "pw-s3cret", "q-s3cret"] {
        assert!(!debug.contains(hidden), "{hidden} in {debug}");
    }
    assert!(debug.contains(REDACTED));
    let shown = serde_json::to_string(
        &config
            .entries()
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect::<BTreeMap<_, _>>(),
    )
    .expect("json");
    for hidden in [secret, "tok-s3cret", "pw-s3cret", "q-s3cret"] {
        assert!(!shown.contains(hidden), "{hidden} in {shown}");
    }
    assert!(shown.contains("postgres://u:[redacted]@h/db?password=[redacted]&sslmode=require"));
    assert_eq!(config.secret_key.as_ref().map(Secret::expose), Some(secret));
}

#[test]
fn cfg_entries_list_every_key_in_order() {
    let f = Fixture::new();
    let config = f
        .load(&format!("{MINIMAL}http_timeout = 2.5\n"))
        .expect("valid");
    let entries = config.entries();
    assert_eq!(
        entries.iter().map(|e| e.key).collect::<Vec<_>>(),
        KEYS.iter().map(|k| k.name).collect::<Vec<_>>()
    );
    let get = |k: &str| entries.iter().find(|e| e.key == k).map(|e| e.value.clone());
    assert_eq!(get("http_timeout"), Some(serde_json::json!(2.5)));
    assert_eq!(get("http_connect_timeout"), Some(serde_json::json!(10)));
    assert_eq!(get("jobs_api_token"), Some(serde_json::Value::Null));
    assert_eq!(get("required_reviews"), Some(serde_json::json!(2)));
}
