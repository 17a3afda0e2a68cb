//! (in progress) Workspace manifest parsing and the workspace file rules.

/// WS-3: whether a path is of an allowed file type (interim version; being completed).
pub fn is_allowed_file_type(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with('.') {
        return false;
    }
    const ALLOWED: [&str; 11] = [".csv", ".jpg", ".jpeg", ".png", ".svg", ".svgz", ".html", ".txt", ".log", ".json", ".md"];
    match name.rfind('.') {
        Some(i) => ALLOWED.contains(&&name[i..]),
        None => false,
    }
}
