//! The example fixtures under `fixtures/` (used by the quickstart and by tests) agree with the
//! spec and with what `fixtures/README.md` claims about them: every manifest entry describes the
//! bytes on disk (`workspace-format.md` §3), every action has a log with its trailer (§4), file
//! types are allowed or deliberately invalid (WS-3), the users file is valid (`jobserver-api.md`
//! API-31) and each user has the roles claimed, and the regular-requests file is valid (OPS-3).
//!
//! These checks read the JSON with `serde_json` directly, so they do not depend on the product's
//! own manifest parser.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The workspaces the fixtures provide, as listed in `fixtures/README.md`.
const WORKSPACES: [&str; 4] = [
    "asthma-feasibility",
    "diabetes-outcomes",
    "old-pilot",
    "vaccine-uptake",
];

/// Shown outputs whose type is deliberately not allowed (WS-3): shown, marked invalid.
const DELIBERATELY_INVALID: [&str; 2] = [
    // `.rds` is not an allowed suffix.
    "diabetes-outcomes/output/model/fitted_model.rds",
    // Suffixes compare case-sensitively: `.PNG` is not `.png`.
    "vaccine-uptake/output/figures/Figure2.PNG",
];

/// Files on disk that the manifest does not list: never shown or served (FMT-4).
const DELIBERATELY_UNLISTED: [&str; 1] = ["diabetes-outcomes/output/scratch/debug_counts.csv"];

/// WS-3 allowed suffixes.
const ALLOWED_SUFFIXES: [&str; 11] = [
    "csv", "jpg", "jpeg", "png", "svg", "svgz", "html", "txt", "log", "json", "md",
];

/// The line that starts a job log's trailer (FMT-11).
const TRAILER: &str = "=============JOB SUMMARY=============";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn workspace_dir(name: &str) -> PathBuf {
    fixtures_dir().join("workspaces").join(name)
}

fn read_json(path: &Path) -> Value {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    serde_json::from_reader(BufReader::new(file))
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The `outputs` of a workspace's manifest, in file order.
fn outputs(workspace: &str) -> Map<String, Value> {
    let manifest = read_json(&workspace_dir(workspace).join("metadata/manifest.json"));
    manifest["outputs"]
        .as_object()
        .unwrap_or_else(|| panic!("{workspace}: outputs is not an object"))
        .clone()
}

fn flag(entry: &Value, key: &str) -> bool {
    entry.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// sha256 and length of a file, read in chunks.
fn sha256_file(path: &Path) -> (String, u64) {
    let mut file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 8192];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    (hex::encode(hasher.finalize()), total)
}

/// Records of an RFC 4180 CSV file, read through a buffered stream (quoted fields may hold
/// commas, quotes and newlines).
fn csv_records(path: &Path) -> Vec<Vec<String>> {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), Vec::new());
    let (mut in_quotes, mut after_quote) = (false, false);
    for byte in BufReader::new(file).bytes() {
        let b = byte.expect("read");
        if in_quotes {
            if b == b'"' {
                in_quotes = false;
                after_quote = true;
            } else {
                field.push(b);
            }
            continue;
        }
        match b {
            b'"' if after_quote => {
                field.push(b'"');
                in_quotes = true;
                after_quote = false;
            }
            b'"' => in_quotes = true,
            b',' => {
                record.push(String::from_utf8(std::mem::take(&mut field)).expect("utf-8"));
                after_quote = false;
            }
            b'\n' => {
                record.push(String::from_utf8(std::mem::take(&mut field)).expect("utf-8"));
                records.push(std::mem::take(&mut record));
                after_quote = false;
            }
            b'\r' => {}
            _ => {
                field.push(b);
                after_quote = false;
            }
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(String::from_utf8(field).expect("utf-8"));
        records.push(record);
    }
    records
}

/// Every file under `dir`, as `/`-separated paths relative to `base`.
fn files_under(base: &Path, dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(base).expect("under base");
            rel.components()
                .map(|c| c.as_os_str().to_str().expect("utf-8 name"))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// WS-1: the paths a workspace shows (out-of-date-action outputs included, as when turned on).
fn shown_paths(workspace: &str) -> BTreeSet<String> {
    let dir = workspace_dir(workspace);
    let mut shown = files_under(&dir, &dir.join("metadata"));
    for (path, entry) in outputs(workspace) {
        if entry["level"] == "moderately_sensitive" && !flag(&entry, "out_of_date_output") {
            if flag(&entry, "excluded") {
                shown.insert(format!("{path}.txt"));
            } else {
                shown.insert(path);
            }
        }
    }
    shown
}

/// WS-3: the name does not start with `.` and its last suffix (case-sensitive) is allowed.
fn is_allowed_type(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    !name.starts_with('.')
        && name
            .rsplit_once('.')
            .is_some_and(|(_, suffix)| ALLOWED_SUFFIXES.contains(&suffix))
}

/// FMT-5: a relative `/`-separated path with no empty, `.` or `..` segment and no `\`.
fn is_safe_key(key: &str) -> bool {
    !key.starts_with('/')
        && !key.contains('\\')
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

#[test]
fn fmt_1_fixture_workspaces_are_the_documented_ones() {
    let root = fixtures_dir().join("workspaces");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&root).expect("read workspaces dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().into_string().expect("utf-8 name");
        if entry.file_type().expect("file type").is_dir() {
            found.insert(name);
        } else {
            assert!(name.starts_with('.'), "stray file {name} in workspaces/");
        }
    }
    let expected: BTreeSet<String> = WORKSPACES.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, expected);
}

#[test]
fn fmt_6_fmt_7_every_manifest_entry_is_well_formed() {
    for ws in WORKSPACES {
        let manifest = read_json(&workspace_dir(ws).join("metadata/manifest.json"));
        let top: BTreeSet<&str> = manifest
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            top,
            BTreeSet::from(["workspace", "repo", "outputs"]),
            "{ws}"
        );
        assert_eq!(manifest["workspace"], ws);
        assert_eq!(
            manifest.get("repo"),
            Some(&Value::Null),
            "{ws}: top-level repo must be null"
        );
        let outputs = outputs(ws);
        assert!(!outputs.is_empty(), "{ws}: no outputs");
        for (path, e) in &outputs {
            let at = format!("{ws}/{path}");
            assert!(is_safe_key(path), "{at}: unsafe key (FMT-5)");
            assert!(
                e["level"] == "moderately_sensitive" || e["level"] == "highly_sensitive",
                "{at}: level"
            );
            for key in ["job_id", "job_request", "action", "repo"] {
                let s = e[key].as_str().unwrap_or_else(|| panic!("{at}: {key}"));
                assert!(!s.is_empty(), "{at}: empty {key}");
            }
            assert!(
                e["repo"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("https://"))
            );
            assert!(
                e.get("user").is_some_and(|u| u.is_string() || u.is_null()),
                "{at}: user"
            );
            assert!(
                is_lower_hex(e["commit"].as_str().unwrap_or(""), 40),
                "{at}: commit"
            );
            assert!(is_lower_hex(e["content_hash"].as_str().unwrap_or(""), 64));
            assert!(e["size"].is_u64(), "{at}: size");
            assert!(
                e["timestamp"].as_f64().is_some_and(|t| t > 1.0e9),
                "{at}: timestamp"
            );
            assert!(e["excluded"].is_boolean(), "{at}: excluded");
            assert!(
                e.get("message")
                    .is_some_and(|m| m.is_string() || m.is_null()),
                "{at}: message"
            );
            assert_eq!(
                e["excluded"] == true,
                e["message"].is_string(),
                "{at}: message"
            );
            for key in ["row_count", "col_count"] {
                assert!(
                    e.get(key).is_some_and(|n| n.is_u64() || n.is_null()),
                    "{at}: {key}"
                );
            }
            for key in ["out_of_date_action", "out_of_date_output"] {
                assert!(e.get(key).is_none_or(Value::is_boolean), "{at}: {key}");
            }
        }
    }
}

#[test]
fn fmt_2_fmt_8_fil_3_manifest_hashes_sizes_and_counts_match_the_files() {
    let mut checked = 0;
    for ws in WORKSPACES {
        let dir = workspace_dir(ws);
        for (path, e) in outputs(ws) {
            let at = format!("{ws}/{path}");
            let file = dir.join(&path);
            if e["level"] == "highly_sensitive" {
                assert!(
                    !file.exists(),
                    "{at}: highly_sensitive file present (FMT-2)"
                );
                continue;
            }
            if flag(&e, "excluded") {
                assert!(!file.exists(), "{at}: excluded file present (FMT-8)");
                let message = std::fs::read_to_string(dir.join(format!("{path}.txt")))
                    .unwrap_or_else(|err| panic!("{at}.txt: {err}"));
                assert!(!message.trim().is_empty(), "{at}.txt is empty");
                continue;
            }
            let (hash, size) = sha256_file(&file);
            assert_eq!(e["content_hash"], hash.as_str(), "{at}: content_hash");
            assert_eq!(e["size"], size, "{at}: size");
            if path.ends_with(".csv") {
                let records = csv_records(&file);
                assert_eq!(e["row_count"], records.len() - 1, "{at}: row_count");
                assert_eq!(e["col_count"], records[0].len(), "{at}: col_count");
            } else {
                assert!(
                    e.get("row_count").is_some_and(Value::is_null)
                        && e.get("col_count").is_some_and(Value::is_null),
                    "{at}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} files checked");
}

/// The `key: value` lines of a log's trailer, and the paths it lists under `outputs:`.
fn trailer(log: &Path) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let file = File::open(log).unwrap_or_else(|e| panic!("open {}: {e}", log.display()));
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .map(|l| l.expect("utf-8"))
        .collect();
    let start = lines
        .iter()
        .rposition(|l| l == TRAILER)
        .unwrap_or_else(|| panic!("{}: no trailer (FMT-11)", log.display()));
    let (mut fields, mut paths) = (BTreeMap::new(), BTreeSet::new());
    let mut section = "";
    for line in &lines[start + 1..] {
        if let Some(item) = line.strip_prefix("  ") {
            if section == "outputs" {
                let path = item.split("  - ").next().expect("path").trim_end();
                paths.insert(path.to_string());
            }
        } else if let Some(name) = line.strip_suffix(':') {
            section = if name == "outputs" { "outputs" } else { "" };
        } else if let Some((k, v)) = line.split_once(": ") {
            fields.insert(k.to_string(), v.to_string());
        }
    }
    (fields, paths)
}

fn parse_time(s: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad time {s}: {e}"))
        .timestamp() as f64
}

#[test]
fn fmt_11_every_action_has_a_log_whose_trailer_matches_the_manifest() {
    for ws in WORKSPACES {
        let dir = workspace_dir(ws);
        let mut by_job: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
        for (path, e) in outputs(ws) {
            let job = e["job_id"].as_str().expect("job_id").to_string();
            by_job.entry(job).or_default().push((path, e));
        }
        let logs: Vec<PathBuf> = files_under(&dir, &dir.join("metadata"))
            .into_iter()
            .filter(|p| p.ends_with(".log"))
            .map(|p| dir.join(p))
            .collect();
        let mut latest_logged = BTreeSet::new();
        for log in &logs {
            let (fields, listed) = trailer(log);
            let job = &fields["job_id"];
            let entries = by_job
                .get(job)
                .unwrap_or_else(|| panic!("{}: job {job} not in manifest", log.display()));
            for (path, e) in entries {
                let at = format!("{ws}/{path}");
                assert_eq!(e["action"], fields["action"].as_str(), "{at}: action");
                assert_eq!(e["commit"], fields["commit"].as_str(), "{at}: commit");
                assert_eq!(e["job_request"], fields["job_request_id"].as_str(), "{at}");
                assert_eq!(e["user"], fields["user"].as_str(), "{at}: user");
                let t = e["timestamp"].as_f64().expect("timestamp");
                let (from, to) = (
                    parse_time(&fields["created_at"]),
                    parse_time(&fields["completed_at"]),
                );
                assert!(from <= t && t <= to + 1.0, "{at}: written outside its job");
                assert!(
                    listed.contains(path),
                    "{at}: not listed in the log's outputs"
                );
            }
            let name = log.file_name().and_then(|n| n.to_str()).expect("name");
            if log.parent() == Some(dir.join("metadata").as_path()) {
                assert_eq!(
                    name,
                    format!("{}.log", fields["action"]),
                    "log named by action"
                );
                latest_logged.insert(job.clone());
            }
        }
        // Every current output comes from the latest run of its action, which has a log.
        for (path, e) in outputs(ws) {
            if !flag(&e, "out_of_date_output") {
                let job = e["job_id"].as_str().expect("job_id");
                assert!(
                    latest_logged.contains(job),
                    "{ws}/{path}: no metadata/<action>.log"
                );
            }
        }
    }
}

#[test]
fn ws_3_shown_files_are_of_allowed_types_or_deliberately_invalid() {
    let mut invalid_seen = BTreeSet::new();
    for ws in WORKSPACES {
        for path in shown_paths(ws) {
            let full = format!("{ws}/{path}");
            if DELIBERATELY_INVALID.contains(&full.as_str()) {
                assert!(!is_allowed_type(&path), "{full} is allowed after all");
                invalid_seen.insert(full);
            } else {
                assert!(
                    is_allowed_type(&path),
                    "{full} is not of an allowed type (WS-3)"
                );
            }
        }
    }
    let expected: BTreeSet<String> = DELIBERATELY_INVALID.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        invalid_seen, expected,
        "deliberately invalid files must be shown"
    );
}

#[test]
fn fmt_4_files_on_disk_are_outputs_message_files_or_deliberately_unlisted() {
    let mut unlisted_seen = BTreeSet::new();
    for ws in WORKSPACES {
        let dir = workspace_dir(ws);
        let outputs = outputs(ws);
        for path in files_under(&dir, &dir) {
            if path.starts_with("metadata/") {
                continue;
            }
            let full = format!("{ws}/{path}");
            let listed = outputs.contains_key(&path)
                || path
                    .strip_suffix(".txt")
                    .and_then(|p| outputs.get(p))
                    .is_some_and(|e| flag(e, "excluded"));
            if DELIBERATELY_UNLISTED.contains(&full.as_str()) {
                assert!(!listed, "{full} is listed after all");
                unlisted_seen.insert(full);
            } else {
                assert!(listed, "{full} is on disk but not in the manifest");
            }
        }
    }
    assert_eq!(unlisted_seen.len(), DELIBERATELY_UNLISTED.len());
}

#[test]
fn fmt_7_ws_4_the_fixtures_demonstrate_each_kind_of_output() {
    let d = outputs("diabetes-outcomes");
    let v = outputs("vaccine-uptake");
    assert_eq!(d["output/dataset.arrow"]["level"], "highly_sensitive");
    assert_eq!(v["output/dataset.csv.gz"]["level"], "highly_sensitive");
    assert!(flag(&d["output/big_table.csv"], "excluded"));
    assert!(flag(&v["output/patient_sample.csv"], "excluded"));
    assert!(flag(&d["output/old_figure.png"], "out_of_date_action"));
    assert!(flag(
        &d["output/tables/table2_draft.csv"],
        "out_of_date_output"
    ));
    let shown = shown_paths("diabetes-outcomes");
    for path in [
        "metadata/manifest.json",
        "metadata/previous_runs/make_tables_2025-02-18.log",
        "output/big_table.csv.txt",
        "output/figures/figure1.png",
        "output/figures/hba1c_trend.svg",
        "output/report.html",
        "output/summary.txt",
        "output/monthly/notes.md",
    ] {
        assert!(shown.contains(path), "diabetes-outcomes shows {path}");
    }
    for path in ["output/dataset.arrow", "output/tables/table2_draft.csv"] {
        assert!(
            !shown.contains(path),
            "diabetes-outcomes never shows {path}"
        );
    }
    assert!(shown_paths("vaccine-uptake").contains("output/results.json"));
    // REN-5: one log is long enough to be truncated before its trailer.
    let log = std::fs::read_to_string(
        workspace_dir("diabetes-outcomes").join("metadata/generate_dataset.log"),
    )
    .expect("read log");
    let before = &log[..log.rfind(TRAILER).expect("trailer")];
    assert!(before.chars().count() > 10_000);
    assert!(before.contains("\u{1b}["), "the log has ANSI colour codes");
    // Every PNG is a real PNG.
    for (ws, path) in [
        ("diabetes-outcomes", "output/figures/figure1.png"),
        ("diabetes-outcomes", "output/old_figure.png"),
        ("vaccine-uptake", "output/figures/uptake_over_time.png"),
        ("vaccine-uptake", "output/figures/Figure2.PNG"),
    ] {
        let mut head = [0u8; 16];
        File::open(workspace_dir(ws).join(path))
            .and_then(|mut f| f.read_exact(&mut head))
            .expect("read png");
        assert_eq!(&head[..8], b"\x89PNG\r\n\x1a\n", "{ws}/{path}");
        assert_eq!(&head[12..16], b"IHDR", "{ws}/{path}");
    }
}

/// Cells of a CSV, by column, skipping the header.
fn columns(ws: &str, path: &str) -> Vec<(String, Vec<String>)> {
    let records = csv_records(&workspace_dir(ws).join(path));
    let header = &records[0];
    (0..header.len())
        .map(|i| {
            let cells = records[1..]
                .iter()
                .map(|r| r.get(i).cloned().unwrap_or_default())
                .collect();
            (header[i].clone(), cells)
        })
        .collect()
}

/// REN-3: a cell with spaces removed, lower-cased.
fn normalise(cell: &str) -> String {
    cell.replace(' ', "").to_lowercase()
}

/// REN-3: missing or redacted values.
fn is_missing_or_redacted(cell: &str) -> bool {
    matches!(
        normalise(cell).as_str(),
        "" | "null" | "none" | "nan" | "[redacted]" | "redacted" | "na" | "n/a" | "<=7"
    )
}

/// REN-3 integer pattern `^[+-]?[0-9]+$`, after normalising.
fn as_integer(cell: &str) -> Option<i64> {
    let n = normalise(cell);
    let digits = n.strip_prefix(['+', '-']).unwrap_or(&n);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| n.parse().ok())
        .flatten()
}

/// HNT-2 low counts in a file: integer cells n with 0 < n < 10 (the default threshold).
fn low_counts(ws: &str, path: &str) -> Vec<i64> {
    columns(ws, path)
        .iter()
        .flat_map(|(_, cells)| cells.iter().filter_map(|c| as_integer(c)))
        .filter(|n| 0 < *n && *n < 10)
        .collect()
}

/// HNT-3: columns of type integer (REN-3) with a value that is not a multiple of 5.
fn unrounded_columns(ws: &str, path: &str) -> Vec<String> {
    columns(ws, path)
        .into_iter()
        .filter(|(_, cells)| {
            let values: Vec<&String> = cells
                .iter()
                .filter(|c| !is_missing_or_redacted(c))
                .collect();
            let ints: Vec<i64> = values.iter().filter_map(|c| as_integer(c)).collect();
            !values.is_empty() && ints.len() == values.len() && ints.iter().any(|n| n % 5 != 0)
        })
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn hnt_2_hnt_3_csv_fixtures_trigger_the_hints_they_claim() {
    // Clean: rounded to 5, no count below 10.
    for (ws, path) in [
        ("diabetes-outcomes", "output/table1.csv"),
        ("diabetes-outcomes", "output/monthly/admissions_2025-01.csv"),
        ("diabetes-outcomes", "output/monthly/admissions_2025-02.csv"),
        ("vaccine-uptake", "output/uptake/uptake_by_age.csv"),
        ("old-pilot", "output/pilot_counts.csv"),
        ("asthma-feasibility", "output/feasibility_counts.csv"),
    ] {
        assert_eq!(low_counts(ws, path), Vec::<i64>::new(), "{ws}/{path}");
        assert_eq!(
            unrounded_columns(ws, path),
            Vec::<String>::new(),
            "{ws}/{path}"
        );
    }
    // Small counts.
    assert_eq!(
        low_counts(
            "diabetes-outcomes",
            "output/tables/complications_by_age.csv"
        ),
        vec![3, 6, 8]
    );
    assert_eq!(
        low_counts("vaccine-uptake", "output/uptake/uptake_by_ethnicity.csv"),
        vec![5]
    );
    // Not rounded.
    assert_eq!(
        unrounded_columns("diabetes-outcomes", "output/tables/hba1c_by_region.csv"),
        vec!["patients", "above_target"]
    );
    assert_eq!(
        unrounded_columns(
            "diabetes-outcomes",
            "output/tables/complications_by_age.csv"
        ),
        vec!["patients"]
    );
    let region = columns("vaccine-uptake", "output/uptake/uptake_by_region.csv");
    for (name, cells) in &region[1..] {
        let ints: Vec<i64> = cells.iter().filter_map(|c| as_integer(c)).collect();
        assert_eq!(ints.len(), cells.len(), "{name}");
        assert!(
            ints.iter().all(|x| (x - 3) % 6 == 0),
            "{name} is midpoint-6 rounded"
        );
        assert!(
            ints.iter().any(|x| x % 5 != 0),
            "{name} is not rounded to 5"
        );
    }
}

/// Expected roles of each fixture user, as in the table of `fixtures/README.md`:
/// (username, roles, copiloted workspaces, output checker, read-only access).
type Expect = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    bool,
    bool,
);

const DIABETES: &str = "diabetes-outcomes";
const VACCINE: &str = "vaccine-uptake";

const USERS: [Expect; 11] = [
    (
        "researcher_1",
        &[DIABETES, "old-pilot", VACCINE],
        &[],
        false,
        false,
    ),
    ("researcher_2", &[DIABETES], &[], false, false),
    ("output_checker_1", &[], &[], true, false),
    ("output_checker_2", &[], &[], true, false),
    ("output_checker_3", &[], &[], true, false),
    ("checker_collaborator", &[VACCINE], &[], true, false),
    ("copilot_1", &[], &[DIABETES, VACCINE], false, false),
    ("tech_support", &[], &[], false, true),
    ("archived_user", &["old-pilot"], &[], false, false),
    ("inactive_user", &["asthma-feasibility"], &[], false, false),
    ("no_access_user", &[], &[], false, false),
];

fn users_file() -> Map<String, Value> {
    read_json(&fixtures_dir().join("users.json"))
        .as_object()
        .expect("users.json is an object keyed by username")
        .clone()
}

/// Every grant of every user, as (username, workspace, grant).
fn all_grants(users: &Map<String, Value>) -> Vec<(String, String, Value)> {
    let mut grants = Vec::new();
    for (name, entry) in users {
        for map in ["workspaces", "copiloted_workspaces"] {
            for (ws, grant) in entry["details"][map].as_object().expect("grant map") {
                grants.push((name.clone(), ws.clone(), grant.clone()));
            }
        }
    }
    grants
}

#[test]
fn api_31_users_file_is_valid() {
    let users = users_file();
    for (name, entry) in &users {
        let keys: BTreeSet<&str> = entry
            .as_object()
            .expect("entry")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["token", "details"]), "{name}");
        assert!(
            entry["token"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}: token"
        );
        let details = &entry["details"];
        assert_eq!(
            details["username"],
            name.as_str(),
            "{name}: key is the username"
        );
        let fullname = details["fullname"].as_str().unwrap_or_default();
        assert!(
            fullname.split(' ').count() >= 2,
            "{name}: realistic full name"
        );
        for key in ["workspaces", "copiloted_workspaces"] {
            assert!(details[key].is_object(), "{name}: {key}");
        }
        for key in ["output_checker", "readonly_access"] {
            assert!(details[key].is_boolean(), "{name}: {key}");
        }
        let user: airlock_core::User =
            serde_json::from_value(details.clone()).expect("a valid user object (API-15)");
        assert_eq!(user.id(), name);
    }
    // API-31: every grant has exactly the keys project_details and archived.
    let mut per_workspace: BTreeMap<String, Value> = BTreeMap::new();
    for (name, ws, grant) in all_grants(&users) {
        let keys: BTreeSet<&str> = grant
            .as_object()
            .expect("grant")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["project_details", "archived"]),
            "{name}/{ws}"
        );
        let project = &grant["project_details"];
        assert!(project["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(project["ongoing"].is_boolean() && grant["archived"].is_boolean());
        let orgs = project["orgs"].as_array().expect("orgs");
        assert!(
            !orgs.is_empty() && orgs.iter().all(Value::is_string),
            "{name}/{ws}: orgs"
        );
        assert!(
            WORKSPACES.contains(&ws.as_str()),
            "{name}: grant on unknown workspace {ws}"
        );
        // A workspace's project and archived flag are the same in everyone's grant.
        let first = per_workspace
            .entry(ws.clone())
            .or_insert_with(|| grant.clone());
        assert_eq!(*first, grant, "{name}/{ws}: grant differs between users");
    }
    assert_eq!(
        per_workspace.len(),
        WORKSPACES.len(),
        "every workspace has a grant"
    );
}

#[test]
fn acc_1_users_have_the_roles_the_readme_claims() {
    let users = users_file();
    let names: BTreeSet<&str> = users.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = USERS.iter().map(|u| u.0).collect();
    assert_eq!(names, expected);
    for (name, roles, copiloted, checker, readonly) in USERS {
        let d = &users[name]["details"];
        let keys = |map: &str| -> BTreeSet<String> {
            d[map].as_object().expect("map").keys().cloned().collect()
        };
        let set = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        assert_eq!(keys("workspaces"), set(roles), "{name}: roles");
        assert_eq!(
            keys("copiloted_workspaces"),
            set(copiloted),
            "{name}: copilot"
        );
        assert_eq!(d["output_checker"], checker, "{name}: output_checker");
        assert_eq!(d["readonly_access"], readonly, "{name}: readonly_access");
    }
    // ACC-2 item 3: the states the archived and inactive users are there to exercise.
    let grants = all_grants(&users);
    let grant = |ws: &str| {
        grants
            .iter()
            .find(|(_, w, _)| w == ws)
            .map(|(_, _, g)| g.clone())
            .expect("grant")
    };
    for ws in ["diabetes-outcomes", "vaccine-uptake"] {
        assert_eq!(grant(ws)["archived"], false, "{ws}");
        assert_eq!(grant(ws)["project_details"]["ongoing"], true, "{ws}");
    }
    assert_eq!(grant("old-pilot")["archived"], true);
    assert_eq!(grant("old-pilot")["project_details"]["ongoing"], true);
    assert_eq!(grant("asthma-feasibility")["archived"], false);
    assert_eq!(
        grant("asthma-feasibility")["project_details"]["ongoing"],
        false
    );
    // ACC-1: a copilot grant is only a copilot role when there is no role on that workspace.
    let copilot = &users["copilot_1"]["details"];
    for ws in copilot["copiloted_workspaces"]
        .as_object()
        .expect("map")
        .keys()
    {
        assert!(copilot["workspaces"].get(ws).is_none());
    }
}

#[test]
fn ops_2_the_latest_output_of_each_workspace_has_an_author_with_a_role() {
    let users = users_file();
    for ws in WORKSPACES {
        let outputs = outputs(ws);
        let latest = outputs
            .values()
            .max_by(|a, b| {
                a["timestamp"]
                    .as_f64()
                    .partial_cmp(&b["timestamp"].as_f64())
                    .expect("cmp")
            })
            .expect("an output");
        let user = latest["user"].as_str().expect("user");
        let d = &users
            .get(user)
            .unwrap_or_else(|| panic!("{ws}: {user} not in users.json"))["details"];
        assert!(
            d["workspaces"].get(ws).is_some(),
            "{ws}: {user} has no role"
        );
        for e in outputs.values() {
            let name = e["user"].as_str().expect("user");
            assert!(
                users.contains_key(name),
                "{ws}: job user {name} not in users.json"
            );
        }
    }
}

#[test]
fn ops_3_regular_requests_fixture_is_valid() {
    let users = users_file();
    let doc = read_json(&fixtures_dir().join("regular-requests.json"));
    let entries = doc.as_array().expect("a JSON array (FMT-17)");
    assert!(!entries.is_empty());
    let allowed = BTreeSet::from([
        "username",
        "workspace_name",
        "dirs",
        "context",
        "controls",
        "supporting_files",
        "submit",
    ]);
    for entry in entries {
        let obj = entry.as_object().expect("object");
        for key in obj.keys() {
            assert!(allowed.contains(key.as_str()), "unknown key {key}");
        }
        let ws = entry["workspace_name"].as_str().expect("workspace_name");
        assert!(WORKSPACES.contains(&ws), "{ws}");
        let shown = shown_paths(ws);
        let dirs: Vec<&str> = entry["dirs"]
            .as_array()
            .expect("dirs")
            .iter()
            .map(|d| d.as_str().expect("dir"))
            .collect();
        assert!(!dirs.is_empty());
        for dir in &dirs {
            let files: Vec<&String> = shown
                .iter()
                .filter(|p| p.starts_with(&format!("{dir}/")))
                .collect();
            assert!(!files.is_empty(), "{ws}/{dir} shows no files");
            assert!(files.iter().all(|p| is_allowed_type(p)), "{ws}/{dir}");
        }
        for support in entry["supporting_files"]
            .as_array()
            .expect("supporting_files")
        {
            let path = support.as_str().expect("path");
            assert!(shown.contains(path), "{ws}/{path}");
            assert!(dirs.iter().any(|d| path.starts_with(&format!("{d}/"))));
        }
        let context = entry["context"].as_str().expect("context");
        let controls = entry["controls"].as_str().expect("controls");
        if entry["submit"].as_bool().expect("submit") {
            assert!(!context.trim().is_empty() && !controls.trim().is_empty());
        }
        match entry.get("username").expect("username is required (OPS-3)") {
            Value::Null => {}
            Value::String(u) => {
                let d = &users.get(u).unwrap_or_else(|| panic!("{u} unknown"))["details"];
                assert!(d["workspaces"].get(ws).is_some(), "{u} has no role on {ws}");
            }
            other => panic!("username must be a string or null, not {other}"),
        }
    }
}
