//! The server secret: configured, or generated once in `<work_dir>/secret_key` and reused.

use super::*;

/// A loaded MINIMAL configuration (plus `extra`) with its directories created.
fn loaded(f: &Fixture, extra: &str) -> Config {
    let config = f.load(&format!("{MINIMAL}{extra}\n")).expect("valid");
    config.create_dirs().expect("dirs");
    config
}

#[test]
fn cfg_secret_key_configured_is_the_one_used() {
    let f = Fixture::new();
    let hex = "0123456789abcdef".repeat(4);
    let config = loaded(&f, &format!("secret_key = \"{hex}\""));
    let key = config.secret_key_or_generate().expect("key");
    assert_eq!(key.as_bytes(), hex::decode(&hex).expect("hex").as_slice());
    assert!(
        !config.secret_key_file().exists(),
        "a configured key generates nothing"
    );
    // From the environment too, as base64 of 64 bytes.
    let b64 = "A".repeat(86) + "==";
    let config = f
        .load_env(MINIMAL, &[("AIRLOCK_SECRET_KEY", &b64)])
        .expect("valid");
    let key = config.secret_key_or_generate().expect("key");
    assert_eq!(key.as_bytes(), [0; 64]);
    assert_eq!(
        config.origin("secret_key"),
        Origin::Env("AIRLOCK_SECRET_KEY".into())
    );
}

#[test]
fn cfg_secret_key_is_generated_on_first_start_and_reused() {
    let f = Fixture::new();
    let config = loaded(&f, "");
    let file = config.secret_key_file();
    assert_eq!(file, f.base().join("work").join(SECRET_KEY_FILE));
    assert!(!file.exists(), "loading has no side effects");
    let first = config.secret_key_or_generate().expect("generated");
    assert_eq!(first.as_bytes().len(), 32);
    let text = std::fs::read_to_string(&file).expect("kept");
    assert_eq!(text, format!("{}\n", hex::encode(first.as_bytes())));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(f.base().join("work"))
        .expect("work dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".secret_key"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    // A later start (a new load) reuses it.
    let again = loaded(&f, "").secret_key_or_generate().expect("reused");
    assert_eq!(again, first);
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), text);
}

#[test]
fn cfg_secret_key_a_bad_file_is_refused_naming_it() {
    let f = Fixture::new();
    let config = loaded(&f, "");
    let file = config.secret_key_file();
    for bad in [&b"not a key\n"[..], b"abcd", &[0xff, 0xfe, 0x00]] {
        std::fs::write(&file, bad).expect("write");
        let err = config.secret_key_or_generate().expect_err("malformed");
        let message = err.to_string();
        assert!(
            matches!(err, ConfigError::SecretKeyFile { .. }),
            "{message}"
        );
        assert_eq!(err.key(), Some("secret_key"));
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("malformed"), "{message}");
        assert!(!message.contains("not a key"), "{message}");
    }
    // Unreadable: a directory where the file should be.
    std::fs::remove_file(&file).expect("remove");
    std::fs::create_dir(&file).expect("mkdir");
    let message = config
        .secret_key_or_generate()
        .expect_err("unreadable")
        .to_string();
    assert!(message.contains("cannot be read"), "{message}");
    assert!(message.contains(&file.display().to_string()), "{message}");
    // Nowhere to write it: work_dir does not exist.
    let config = f.load(MINIMAL).expect("valid");
    let config = Config {
        work_dir: f.base().join("no-such-dir"),
        ..config
    };
    let message = config
        .secret_key_or_generate()
        .expect_err("unwritable")
        .to_string();
    assert!(message.contains("cannot be written"), "{message}");
    assert!(message.contains("no-such-dir"), "{message}");
}

#[test]
fn cfg_secret_key_never_appears_in_debug_or_entries() {
    let f = Fixture::new();
    let config = loaded(&f, "");
    let key = config.secret_key_or_generate().expect("generated");
    let hex = hex::encode(key.as_bytes());
    assert_eq!(format!("{key:?}"), "SecretKey([redacted])");
    let shown = format!("{config:?} {:?}", config.entries());
    assert!(!shown.contains(&hex), "{shown}");
    let entry = config
        .entries()
        .into_iter()
        .find(|e| e.key == "secret_key")
        .expect("listed");
    let where_kept = format!("(generated in {})", config.secret_key_file().display());
    assert_eq!(entry.value, serde_json::json!(where_kept));
    assert_eq!(entry.origin, Origin::Default);
    // Configured: redacted, as before.
    let configured = loaded(&f, &format!("secret_key = \"{hex}\""));
    let entry = configured
        .entries()
        .into_iter()
        .find(|e| e.key == "secret_key")
        .expect("listed");
    assert_eq!(entry.value, serde_json::json!(REDACTED));
    let shown = format!(
        "{configured:?} {:?} {:?}",
        configured.entries(),
        configured.secret_key_or_generate()
    );
    assert!(!shown.contains(&hex), "{shown}");
}
