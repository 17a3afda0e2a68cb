//! Paths: FMT-1 workspace names, FMT-5 relative paths, the `metadata/` directory (FMT-3) and
//! the file types a workspace may release (WS-3).

use crate::error::{AirlockError, ErrorCode, Result};

/// FMT-3: the directory of the manifest and the job logs.
pub const METADATA_DIR: &str = "metadata";

/// The longest relative path accepted, in bytes.
const MAX_PATH_LEN: usize = 4096;

/// WS-3: the allowed suffixes, compared case-sensitively.
const ALLOWED_SUFFIXES: [&str; 11] = [
    ".csv", ".jpg", ".jpeg", ".png", ".svg", ".svgz", ".html", ".txt", ".log", ".json", ".md",
];

/// FMT-1: a workspace name used as one path segment. Empty names, names starting with `.` and
/// names containing `/`, `\` or a control character are refused with `not_found`.
pub fn validate_workspace_name(name: &str) -> Result<&str> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.len() > 255
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(AirlockError::with_message(
            ErrorCode::NotFound,
            "That workspace does not exist.",
        ));
    }
    Ok(name)
}

/// Why a relative path breaks FMT-5, or `Ok` when it is acceptable.
pub(super) fn check_relpath(path: &str) -> std::result::Result<(), &'static str> {
    if path.is_empty() {
        return Err("it is empty");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("it is too long");
    }
    if path.starts_with('/') {
        return Err("it is absolute");
    }
    // One pass over the bytes: C0 controls and DEL are single bytes, and C1 controls
    // (U+0080 to U+009F) are 0xC2 followed by 0x80 to 0x9F.
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' {
            return Err("it contains a backslash");
        }
        let c1 = b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n));
        if b < 0x20 || b == 0x7f || c1 {
            return Err("it contains a control character");
        }
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err("it has an empty segment"),
            "." => return Err("it has a '.' segment"),
            ".." => return Err("it has a '..' segment"),
            _ => {}
        }
    }
    Ok(())
}

/// FMT-5: a relative path with `/` separators and no empty, `.` or `..` segment, no `\`, no
/// leading `/` and no control character (NUL included). Refused with `bad_path`, naming the
/// path and the reason.
pub fn validate_relpath(path: &str) -> Result<String> {
    match check_relpath(path) {
        Ok(()) => Ok(path.to_string()),
        Err(why) => Err(AirlockError::with_message(
            ErrorCode::BadPath,
            format!("The path {path:?} is not allowed: {why}."),
        )),
    }
}

/// Whether a relative path lies under `metadata/` (FMT-3, FIL-4 step 6).
pub fn is_metadata_path(path: &str) -> bool {
    path.strip_prefix(METADATA_DIR)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// WS-3: the file's name does not start with `.` and its last suffix, compared
/// case-sensitively, is one of `.csv .jpg .jpeg .png .svg .svgz .html .txt .log .json .md`.
pub fn is_allowed_file_type(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with('.') {
        return false;
    }
    match name.rfind('.') {
        Some(i) => ALLOWED_SUFFIXES.contains(&&name[i..]),
        None => false,
    }
}

/// Byte offset of the last segment of a path.
pub(super) fn name_start(path: &str) -> u32 {
    path.rfind('/')
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_5_rejects_bad_paths() {
        let bad = [
            "",
            "/etc/passwd",
            "../secret.csv",
            "output/../../x.csv",
            "output/./x.csv",
            ".",
            "..",
            "output//x.csv",
            "output/",
            "output\\x.csv",
            "output/x\0.csv",
            "output/x\n.csv",
        ];
        for path in bad {
            let err = validate_relpath(path).expect_err(path);
            assert_eq!(err.error_code(), ErrorCode::BadPath, "{path:?}");
            assert!(
                err.message().contains("is not allowed"),
                "{}",
                err.message()
            );
        }
        let long = "a/".repeat(3000) + "b.csv";
        assert!(validate_relpath(&long).is_err());
    }

    #[test]
    fn fmt_5_accepts_good_paths() {
        for path in [
            "a.csv",
            "output/table 1.csv",
            "output/..hidden/x",
            "output/x..csv",
            "é/ü.csv",
        ] {
            assert_eq!(validate_relpath(path).as_deref(), Ok(path));
        }
    }

    #[test]
    fn fmt_1_workspace_names() {
        for bad in ["", ".hidden", "..", "a/b", "a\\b", "a\u{7}b", "a\0"] {
            let err = validate_workspace_name(bad).expect_err(bad);
            assert_eq!(err.error_code(), ErrorCode::NotFound);
        }
        assert_eq!(
            validate_workspace_name("diabetes-outcomes"),
            Ok("diabetes-outcomes")
        );
    }

    #[test]
    fn ws_3_allowed_file_types() {
        let allowed = [
            "a.csv",
            "d/a.jpg",
            "a.jpeg",
            "a.png",
            "a.svg",
            "a.svgz",
            "a.html",
            "a.txt",
            "a.log",
            "a.json",
            "a.md",
            "a.tar.csv",
            "x/.y/a.csv",
        ];
        for path in allowed {
            assert!(is_allowed_file_type(path), "{path}");
        }
        let refused = [
            "a.CSV", "a.csv.gz", ".csv", "d/.a.csv", "a", "a.", "a.arrow", "a.rds", "a.csv/",
            "a.yaml", "a.htm",
        ];
        for path in refused {
            assert!(!is_allowed_file_type(path), "{path}");
        }
    }

    #[test]
    fn is_metadata_path_matches_the_directory_only() {
        assert!(is_metadata_path("metadata/a.log"));
        assert!(is_metadata_path("metadata"));
        assert!(!is_metadata_path("metadata2/a.log"));
        assert!(!is_metadata_path("output/metadata/a.log"));
    }

    proptest::proptest! {
        /// The byte scan of FMT-5 refuses exactly the paths with a backslash or a control
        /// character.
        #[test]
        fn relpath_scan_matches_char_rules(path in "[a-z/\\\\\u{0}-\u{1f}\u{7f}-\u{a0}\u{c2}\u{100}]{1,8}") {
            // Not absolute, so that the character rules are the first to apply.
            let path = format!("a{path}");
            let bad_char = path.contains('\\') || path.chars().any(char::is_control);
            let refused_for_char = matches!(
                check_relpath(&path),
                Err("it contains a backslash" | "it contains a control character")
            );
            proptest::prop_assert_eq!(refused_for_char, bad_char);
        }

        /// FMT-5: anything validate_relpath accepts has no traversal segment.
        #[test]
        fn validated_paths_are_safe(path in "[a-z./\\\\]{0,12}") {
            if validate_relpath(&path).is_ok() {
                proptest::prop_assert!(!path.starts_with('/'));
                proptest::prop_assert!(path.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
            }
        }
    }
}
