//! DBL-6: uploading a release's file: the release permission, the headers (API-23), the size
//! limit (API-19), and the length and sha256 of the body against what the release declared.
//! The body was hashed as it arrived (`http.rs`).

use super::{Answer, Request, State};

impl State {
    /// DBL-6.
    pub(super) fn upload(&mut self, request: &Request, release_id: &str) -> Answer {
        let Some(release) = self.releases.get(release_id) else {
            return match request.header("os-user") {
                None => Answer::detail(403, "OS-User header is missing"),
                Some(_) => Answer::detail(404, "Not found."),
            };
        };
        let workspace = release.workspace.clone();
        if let Err(answer) = self.os_user_may_release(request, &workspace) {
            return answer;
        }
        if request.header("content-type") != Some("application/octet-stream") {
            self.fail(format!(
                "Upload: Content-Type is {:?}",
                request.header("content-type")
            ));
            return Answer::detail(400, "Unsupported media type");
        }
        let Some(name) = request
            .header("content-disposition")
            .and_then(disposition_filename)
        else {
            self.fail(format!(
                "Upload: Content-Disposition {:?} does not parse",
                request.header("content-disposition")
            ));
            return Answer::detail(400, "Missing filename");
        };
        let limit = self.config.size_limit;
        let backend = self.config.backend.clone();
        let Some(release) = self.releases.get_mut(release_id) else {
            return Answer::detail(404, "Not found.");
        };
        let Some((sha, size)) = release.files.get(&name).cloned() else {
            return Answer::detail(
                400,
                &format!("File {name} not requested in release {release_id}"),
            );
        };
        let declared: Option<u64> = request
            .header("content-length")
            .and_then(|v| v.parse().ok());
        if declared.is_some_and(|d| d > limit) {
            return Answer::detail(400, "File is too large, it must be below 16.0Mb");
        }
        if request.body_len == 0 {
            return Answer::detail(400, "No data uploaded");
        }
        if release.uploaded.contains_key(&name) {
            return Answer::detail(
                400,
                &format!(
                    "This version of '{name}' has already been uploaded from backend '{backend}'"
                ),
            );
        }
        if request.body_len != size || request.body_sha256 != sha {
            return Answer::detail(
                400,
                "Contents of uploaded file does not match the file which a review was requested for",
            );
        }
        release.uploaded.insert(name, request.body.clone());
        let file_id = self.next_file_id;
        self.next_file_id += 1;
        Answer {
            status: 201,
            headers: vec![
                ("File-Id".into(), format!("file-{file_id}")),
                (
                    "Location".into(),
                    format!("https://jobs.example/releases/{release_id}/files/{file_id}"),
                ),
            ],
            body: Vec::new(),
        }
    }
}

/// API-23: the file name of a `Content-Disposition` header, in either form.
pub(crate) fn disposition_filename(value: &str) -> Option<String> {
    let rest = value.trim().strip_prefix("attachment")?.trim_start();
    let rest = rest.strip_prefix(';')?.trim();
    if let Some(encoded) = rest.strip_prefix("filename*=UTF-8''") {
        return percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned());
    }
    let quoted = rest.strip_prefix("filename=\"")?;
    let mut name = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(name),
            c => name.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_23_both_filename_forms_parse() {
        assert_eq!(
            disposition_filename(r#"attachment; filename="output/a \"b\".csv""#).as_deref(),
            Some(r#"output/a "b".csv"#)
        );
        assert_eq!(
            disposition_filename("attachment; filename*=UTF-8''output/caf%C3%A9.csv").as_deref(),
            Some("output/café.csv")
        );
        assert_eq!(disposition_filename("inline; filename=\"a\""), None);
        assert_eq!(disposition_filename("attachment; filename=\"a"), None);
    }
}
