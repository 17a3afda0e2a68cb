//! OPS-3 / FMT-17: the regular-requests file.

use airlock_core::regular::{
    RegularError, RegularProblem, RegularRequest, parse_entries, parse_regular_requests,
};

fn errors(json: &str) -> Vec<RegularError> {
    parse_regular_requests(json.as_bytes()).expect_err("invalid")
}

/// (entry, field, problem) of one error.
type Found = (Option<usize>, Option<String>, RegularProblem);

/// (entry, field, problem) of each error.
fn summary(errors: &[RegularError]) -> Vec<Found> {
    errors
        .iter()
        .map(|e| (e.entry, e.field.clone(), e.problem))
        .collect()
}

#[test]
fn fmt_17_spec_example_parses() {
    let json = r#"[
      {
        "username": null,
        "workspace_name": "diabetes-outcomes",
        "dirs": ["output/monthly"],
        "context": "Monthly counts for the dashboard.",
        "controls": "All counts rounded to the nearest 5; counts below 10 redacted.",
        "supporting_files": ["output/monthly/notes.md"],
        "submit": true
      }
    ]"#;
    let entries = parse_regular_requests(json.as_bytes()).expect("valid");
    assert_eq!(
        entries,
        vec![RegularRequest {
            username: None,
            workspace_name: "diabetes-outcomes".into(),
            dirs: vec!["output/monthly".into()],
            context: "Monthly counts for the dashboard.".into(),
            controls: "All counts rounded to the nearest 5; counts below 10 redacted.".into(),
            supporting_files: vec!["output/monthly/notes.md".into()],
            submit: true,
        }]
    );
    assert_eq!(entries[0].effective_username(), None);
}

#[test]
fn ops_3_optional_fields_default() {
    let json = r#"[{"username": "alice", "workspace_name": "w", "dirs": ["a", "b/c"]}]"#;
    let e = &parse_regular_requests(json.as_bytes()).expect("valid")[0];
    assert_eq!(e.effective_username(), Some("alice"));
    assert_eq!((e.context.as_str(), e.controls.as_str()), ("", ""));
    assert!(e.supporting_files.is_empty());
    assert!(!e.submit);
}

#[test]
fn ops_3_empty_username_means_from_the_manifest() {
    let json = r#"[{"username": "", "workspace_name": "w", "dirs": ["a"]}]"#;
    let e = &parse_regular_requests(json.as_bytes()).expect("valid")[0];
    assert_eq!(e.username.as_deref(), Some(""));
    assert_eq!(e.effective_username(), None);
}

#[test]
fn ops_3_errors_name_entry_and_field() {
    use RegularProblem::*;
    let f = |s: &str| Some(s.to_string());
    let cases: &[(&str, Vec<Found>)] = &[
        (
            r#"[{"workspace_name": "w", "dirs": ["a"]}]"#,
            vec![(Some(1), f("username"), MissingField)],
        ),
        (
            r#"[{"username": null, "dirs": ["a"]}]"#,
            vec![(Some(1), f("workspace_name"), MissingField)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w"}]"#,
            vec![(Some(1), f("dirs"), MissingField)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "colour": 1}]"#,
            vec![(Some(1), f("colour"), UnknownField)],
        ),
        (
            r#"[{"username": 5, "workspace_name": "w", "dirs": ["a"]}]"#,
            vec![(Some(1), f("username"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": ["w"], "dirs": ["a"]}]"#,
            vec![(Some(1), f("workspace_name"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": "..", "dirs": ["a"]}]"#,
            vec![(Some(1), f("workspace_name"), InvalidWorkspaceName)],
        ),
        (
            r#"[{"username": null, "workspace_name": "a/b", "dirs": ["a"]}]"#,
            vec![(Some(1), f("workspace_name"), InvalidWorkspaceName)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": "a"}]"#,
            vec![(Some(1), f("dirs"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a", 2]}]"#,
            vec![(Some(1), f("dirs[1]"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "context": null}]"#,
            vec![(Some(1), f("context"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "submit": "yes"}]"#,
            vec![(Some(1), f("submit"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "supporting_files": [{}]}]"#,
            vec![(Some(1), f("supporting_files[0]"), WrongType)],
        ),
        (
            r#"[{"username": null, "workspace_name": "", "dirs": []}]"#,
            vec![
                (Some(1), f("workspace_name"), Empty),
                (Some(1), f("dirs"), Empty),
            ],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "submit": true}]"#,
            vec![
                (Some(1), f("context"), SubmitNeedsContextAndControls),
                (Some(1), f("controls"), SubmitNeedsContextAndControls),
            ],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "submit": true,
                 "context": "c", "controls": "  "}]"#,
            vec![(Some(1), f("controls"), SubmitNeedsContextAndControls)],
        ),
        (
            r#"[{"username": null, "workspace_name": "w", "dirs": ["a"]}, 7]"#,
            vec![(Some(2), None, NotAnObject)],
        ),
        (r#"{"entries": []}"#, vec![(None, None, NotAList)]),
        (r#"[{"username": null,"#, vec![(None, None, InvalidJson)]),
        ("", vec![(None, None, InvalidJson)]),
    ];
    for (json, expected) in cases {
        assert_eq!(&summary(&errors(json)), expected, "{json}");
    }
}

#[test]
fn ops_3_all_problems_of_the_file_are_reported() {
    let json = r#"[
      {"username": null, "workspace_name": "ok", "dirs": ["a"]},
      {"username": 1, "workspace_name": "w2", "dirs": "a", "extra": true},
      {"workspace_name": "w3", "dirs": ["a"]}
    ]"#;
    let errs = errors(json);
    assert_eq!(errs.len(), 4);
    assert_eq!(
        errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![
            "entry 2 (workspace 'w2'), field 'extra': unknown field; expected one of: username, \
             workspace_name, dirs, context, controls, supporting_files, submit",
            "entry 2 (workspace 'w2'), field 'username': expected a string or null, found a number",
            "entry 2 (workspace 'w2'), field 'dirs': expected a list of strings, found a string",
            "entry 3 (workspace 'w3'), field 'username': is required",
        ]
    );
    assert_eq!(RegularProblem::MissingField.as_str(), "missing_field");
}

#[test]
fn ops_3_one_bad_entry_does_not_stop_the_others() {
    let json = r#"[
      {"username": null, "workspace_name": "first", "dirs": ["a"]},
      {"username": null},
      {"username": "bob", "workspace_name": "third", "dirs": ["b"]}
    ]"#;
    let entries = parse_entries(json.as_bytes()).expect("a list");
    let ok: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .map(|r| r.workspace_name.as_str())
        .collect();
    assert_eq!(ok, ["first", "third"]);
    assert!(entries[1].is_err());
}

#[test]
fn ops_3_file_level_errors_read_clearly() {
    let e = &errors("[1,")[0];
    assert!(
        e.to_string()
            .starts_with("regular requests file: invalid JSON"),
        "{e}"
    );
    // A UTF-8 byte order mark is tolerated.
    let json = "\u{feff}[]";
    assert_eq!(parse_regular_requests(json.as_bytes()), Ok(vec![]));
}

#[test]
fn ops_3_validated_file_prints_back_as_json() {
    let json = r#"[{"dirs": ["a"], "workspace_name": "w", "username": "u", "submit": false}]"#;
    let entries = parse_regular_requests(json.as_bytes()).expect("valid");
    let printed = serde_json::to_string(&entries).expect("serialise");
    assert_eq!(
        printed,
        r#"[{"username":"u","workspace_name":"w","dirs":["a"],"context":"","controls":"","supporting_files":[],"submit":false}]"#
    );
    assert_eq!(parse_regular_requests(printed.as_bytes()), Ok(entries));
}
