//! PG-16: the workspace browser, `/workspaces/view/<ws>/[<path>]`. Two panes: the tree (the
//! top level and the directories on the way to what is shown, never the whole tree, so a
//! workspace of 100 000 outputs stays fast; a directory of more than [`PAGE_SIZE`] entries is
//! shown in pages), and the directory's table or the file's page. Every status is WS-5's, in
//! words; every control is offered by `airlock_core::offer` (PG-1). Each page carries the hash
//! of the manifest it was drawn from, and navigation after the manifest changed follows WS-8.

use super::super::content::TableParams;
use super::super::format::{self, Shown};
use super::super::frame::Frame;
use super::super::path::PagePath;
use super::super::respond::render;
use super::super::respond::{Page, PageContext, Reply};
use super::workspace_url;
use crate::app::App;
use airlock_core::action::AddCandidate;
use airlock_core::offer::{self, Offer};
use airlock_core::workspace::{
    FileSource, NodeKind, TreeOptions, WorkspaceFileStatus, WorkspaceTree, is_allowed_file_type,
};
use airlock_core::{AirlockError, Ctx, RequestState, User, label};
use airlock_store::store::view::Browse;
use askama::Template;
use rocket::{Route, State, get, routes};

/// Entries of a directory shown at once (PG-16: a larger directory is paged).
pub const PAGE_SIZE: usize = 500;

/// Characters of the manifest hash that a page's links carry (WS-8).
const HASH_CHARS: usize = 16;

/// A part of the breadcrumbs (PG-9).
pub struct Crumb {
    /// What it is called.
    pub name: String,
    /// Its page.
    pub url: String,
}

/// A row of the tree pane: flat, with its ARIA level.
pub struct TreeRow {
    /// The last segment.
    pub name: String,
    /// Its page.
    pub url: String,
    /// 1 at the top.
    pub level: usize,
    /// A directory.
    pub is_dir: bool,
    /// Its children follow.
    pub expanded: bool,
    /// It is what the right pane shows.
    pub current: bool,
    /// A file's WS-5 status: (name, words).
    pub status: Option<(&'static str, &'static str)>,
    /// A file of a type that is not allowed (WS-3).
    pub invalid_type: bool,
}

/// A row of a directory's table.
pub struct DirRow {
    /// The last segment.
    pub name: String,
    /// Its path.
    pub path: String,
    /// Its page.
    pub url: String,
    /// A directory.
    pub is_dir: bool,
    /// A file's WS-5 status: (name, words).
    pub status: Option<(&'static str, &'static str)>,
    /// A file of a type that is not allowed (WS-3).
    pub invalid_type: bool,
    /// Size, in words.
    pub size: String,
    /// Modification time.
    pub modified: Option<Shown>,
    /// It may be selected to be added (PG-1).
    pub addable: bool,
    /// It may be selected to be updated (PG-1).
    pub updatable: bool,
}

/// An offered control: `Ok`, or the reason it is not offered (PG-1).
pub type Control = Result<(), String>;

fn control(offer: &Offer) -> Control {
    offer
        .as_ref()
        .map(|_| ())
        .map_err(|e| e.message().to_string())
}

/// The right pane for a directory.
pub struct DirPane {
    /// Its path (empty at the top).
    pub path: String,
    /// Its entries, this page of them.
    pub rows: Vec<DirRow>,
    /// "Add files to request" (FIL-4 steps 1 to 4).
    pub add: Control,
    /// "Update files in request".
    pub update: Control,
    /// Some entries can be selected.
    pub selectable: bool,
    /// Some entries are files (the add and update controls are shown).
    pub has_files: bool,
    /// "Entries 1–500 of 1 203", when paged.
    pub paging: Option<Paging>,
}

/// A directory's pages.
pub struct Paging {
    /// Words: "entries 501–1000 of 1203".
    pub range: String,
    /// The previous page.
    pub previous: Option<String>,
    /// The next page.
    pub next: Option<String>,
}

/// The right pane for a file.
pub struct FilePane {
    /// Its path.
    pub path: String,
    /// Its name.
    pub name: String,
    /// WS-5: (name, words).
    pub status: (&'static str, &'static str),
    /// Size, in words.
    pub size: String,
    /// Modification time.
    pub modified: Option<Shown>,
    /// The job and action that wrote it (outputs).
    pub job: Option<String>,
    /// The action.
    pub action: Option<String>,
    /// The study commit, and the code view's page (WEB-8).
    pub commit: Option<(String, String)>,
    /// WS-3.
    pub invalid_type: bool,
    /// Adding it: the types offered, or why not.
    pub add: Result<Vec<(&'static str, &'static str)>, String>,
    /// Updating it.
    pub update: Control,
    /// The groups the add form offers (GRP-2).
    pub groups: Vec<String>,
    /// The content URL (REN-1), its plain-text view, and "Open in new tab".
    pub content_url: String,
    /// The frame's address: the contents with the table's view, framed.
    pub frame_url: String,
    /// As plain text.
    pub plaintext_url: String,
    /// HNT-4: the number of hints of a CSV file.
    pub hint_count: usize,
    /// Its hints in words, grouped (see [`airlock_core::view::hint_summary`]).
    pub hints: Vec<String>,
}

/// What the right pane shows.
pub enum Pane {
    /// A directory (or the top).
    Dir(DirPane),
    /// A file.
    File(Box<FilePane>),
}

/// PG-16.
#[derive(Template)]
#[template(path = "workspace.html")]
pub struct BrowserPage<'a> {
    frame: &'a Frame,
    workspace: String,
    crumbs: Vec<Crumb>,
    heading: String,
    tree: Vec<TreeRow>,
    out_of_date: usize,
    showing_out_of_date: bool,
    manifest_error: Option<String>,
    pane: Pane,
    requests_url: String,
    /// The viewer's current request here: (its overview, its short id, status name, words,
    /// how many files it holds).
    current: Option<(String, String, &'static str, &'static str, usize)>,
}

/// The page of a path: a directory's ends with `/` (WEB-1), and every link carries the manifest
/// it was drawn from (WS-8).
fn page_url(workspace: &str, path: &str, is_dir: bool, manifest: &str) -> String {
    let mut url = workspace_url(workspace);
    if !path.is_empty() {
        url.push_str(&format::path_segments(path));
        if is_dir {
            url.push('/');
        }
    }
    url.push_str("?m=");
    url.push_str(manifest);
    url
}

fn status_of(status: WorkspaceFileStatus) -> (&'static str, &'static str) {
    (status.as_str(), label::file_status(status))
}

/// The parents of a path, top down: `a/b/c` → `a`, `a/b`.
fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

struct Drawing<'t, 'a> {
    tree: &'t WorkspaceTree<'a>,
    workspace: &'t str,
    manifest: &'t str,
}

impl Drawing<'_, '_> {
    fn url(&self, path: &str, is_dir: bool) -> String {
        page_url(self.workspace, path, is_dir, self.manifest)
    }

    /// The tree pane: the top level, and each directory on the way to `selected` opened.
    fn rows(&self, selected: &str, open: &[usize]) -> Vec<TreeRow> {
        let mut rows = Vec::new();
        self.push_children(None, 1, selected, open, &mut rows);
        rows
    }

    fn push_children(
        &self,
        parent: Option<usize>,
        level: usize,
        selected: &str,
        open: &[usize],
        rows: &mut Vec<TreeRow>,
    ) {
        let mut children = self.tree.children(parent);
        for index in children.by_ref().take(PAGE_SIZE) {
            let Some(node) = self.tree.node(index) else {
                continue;
            };
            let is_dir = node.is_dir();
            let expanded = is_dir && open.contains(&index);
            let (status, invalid_type) = match node.kind {
                NodeKind::File(f) => (Some(status_of(f.status)), !f.allowed_type),
                NodeKind::Dir { .. } => (None, false),
            };
            rows.push(TreeRow {
                name: node.name().to_string(),
                url: self.url(node.path, is_dir),
                level,
                is_dir,
                expanded,
                current: node.path == selected,
                status,
                invalid_type,
            });
            if expanded {
                self.push_children(Some(index), level + 1, selected, open, rows);
            }
        }
        let rest = children.count();
        if rest > 0 {
            let path = parent
                .and_then(|p| self.tree.node(p))
                .map_or(String::new(), |n| n.path.to_string());
            rows.push(TreeRow {
                name: format!("… {rest} more"),
                url: self.url(&path, true),
                level,
                is_dir: true,
                expanded: false,
                current: false,
                status: None,
                invalid_type: false,
            });
        }
    }
}

/// What the page needs to ask core about the viewer's request.
struct Asking<'a> {
    ctx: Ctx<'a>,
    workspace: &'a str,
    current: Option<&'a RequestState>,
}

impl Asking<'_> {
    fn path(&self, candidate: &AddCandidate) -> offer::PathOffers {
        offer::path_offers(&self.ctx, self.workspace, self.current, candidate)
    }
}

fn dir_pane(
    drawing: &Drawing<'_, '_>,
    browse: &Browse,
    asking: &Asking<'_>,
    dir: Option<usize>,
    path: &str,
    page: usize,
) -> DirPane {
    let all: Vec<usize> = drawing.tree.children(dir).collect();
    let pages = all.len().div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let start = (page - 1) * PAGE_SIZE;
    let batch = offer::add_batch_offer(&asking.ctx, asking.workspace, asking.current);
    let mut rows = Vec::new();
    for &index in all.iter().skip(start).take(PAGE_SIZE) {
        let Some(node) = drawing.tree.node(index) else {
            continue;
        };
        let is_dir = node.is_dir();
        let mut row = DirRow {
            name: node.name().to_string(),
            path: node.path.to_string(),
            url: drawing.url(node.path, is_dir),
            is_dir,
            status: None,
            invalid_type: false,
            size: String::new(),
            modified: None,
            addable: false,
            updatable: false,
        };
        if let NodeKind::File(file) = node.kind {
            let offers = asking.path(&browse.workspace.add_candidate(node.path, &browse.released));
            row.status = Some(status_of(file.status));
            row.invalid_type = !file.allowed_type;
            row.size = file.source.size().map(format::size).unwrap_or_default();
            row.modified = file.source.timestamp().and_then(format::epoch_time);
            row.addable = batch.is_ok() && offers.add.is_ok();
            row.updatable = offers.update.is_ok();
        }
        rows.push(row);
    }
    let selectable = rows.iter().any(|r| r.addable || r.updatable);
    let update = match asking.current {
        None => Err("You have no request in this workspace to update.".to_string()),
        Some(_) if rows.iter().any(|r| r.updatable) => Ok(()),
        Some(_) => Err("No file here has changed since it was added to your request.".to_string()),
    };
    let add = match &batch {
        Err(e) => Err(e.message().to_string()),
        Ok(()) if rows.iter().any(|r| r.addable) => Ok(()),
        Ok(()) => Err("No file here can be added.".to_string()),
    };
    let paging = (pages > 1).then(|| {
        let url = |p: usize| format!("{}&page={p}", drawing.url(path, true));
        Paging {
            range: format!(
                "entries {}–{} of {}",
                start + 1,
                (start + PAGE_SIZE).min(all.len()),
                all.len()
            ),
            previous: (page > 1).then(|| url(page - 1)),
            next: (page < pages).then(|| url(page + 1)),
        }
    });
    DirPane {
        path: path.to_string(),
        has_files: rows.iter().any(|r| !r.is_dir),
        rows,
        add,
        update,
        selectable,
        paging,
    }
}

fn file_pane(
    browse: &Browse,
    asking: &Asking<'_>,
    node: &airlock_core::workspace::TreeNode<'_>,
    file: &airlock_core::workspace::TreeFile<'_>,
    hints: &[airlock_core::hint::Hint],
    table: &TableParams,
) -> FilePane {
    let path = node.path.to_string();
    let workspace = browse.workspace.name();
    let offers = asking.path(&browse.workspace.add_candidate(&path, &browse.released));
    let entry = file.source.output();
    let output = match file.source {
        FileSource::Output(entry) => Some(entry.output()),
        _ => None,
    };
    let content_url = format!(
        "/workspaces/content/{}/{}",
        format::segment(workspace),
        format::path_segments(&path)
    );
    FilePane {
        name: node.name().to_string(),
        status: status_of(file.status),
        size: file.source.size().map(format::size).unwrap_or_default(),
        modified: file.source.timestamp().and_then(format::epoch_time),
        job: output
            .map(|o| o.job_id.to_string())
            .filter(|j| !j.is_empty()),
        action: output.and_then(|o| o.action.as_deref().map(str::to_string)),
        commit: entry
            .map(|e| e.output().commit.to_string())
            .filter(|c| !c.is_empty())
            .map(|commit| {
                let url = format!(
                    "/code/view/{}/{}/project.yaml?return_url={}",
                    format::segment(workspace),
                    format::segment(&commit),
                    format::query(&page_url(workspace, &path, false, ""))
                );
                (commit, url)
            }),
        invalid_type: !is_allowed_file_type(&path),
        add: offers
            .add
            .map(|types| {
                types
                    .into_iter()
                    .map(|t| (t.as_str(), label::file_type(t)))
                    .collect()
            })
            .map_err(|e| e.message().to_string()),
        update: control(&offers.update),
        groups: airlock_core::listing::group_choices(asking.current),
        plaintext_url: format!("{content_url}?plaintext=true"),
        frame_url: table.frame_url(&content_url),
        content_url,
        hint_count: hints.len(),
        hints: airlock_core::view::hint_summary(
            &hints
                .iter()
                .map(|h| airlock_core::view::HintView::of(&path, h.clone()))
                .collect::<Vec<_>>(),
        ),
        path,
    }
}

/// WS-8: where a request for `path` of a manifest other than the current one, or of a path
/// the workspace does not show, goes, and what it says.
fn moved(
    tree: &WorkspaceTree<'_>,
    workspace: &str,
    path: &str,
    changed: bool,
    unreadable: Option<String>,
    manifest: &str,
) -> Reply {
    let parent = parents(path)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|p| tree.find(p).is_some())
        .unwrap_or("");
    let text = match (unreadable, changed) {
        (Some(why), _) => why,
        (None, true) => format!(
            "{path} is no longer an output in this workspace, probably because a job has \
             rewritten the workspace's outputs."
        ),
        (None, false) => format!("{path} is not present in this workspace."),
    };
    Reply::Redirect {
        to: page_url(workspace, parent, true, manifest),
        message: Some(super::super::flash::Message {
            code: "not_found".to_string(),
            text,
        }),
    }
}

/// What a browser page was asked for.
struct Asked<'a> {
    workspace: &'a str,
    path: &'a str,
    /// The manifest the previous page was drawn from (WS-8).
    manifest: Option<&'a str>,
    /// The page of a large directory.
    page: usize,
    /// WS-4.
    show_out_of_date: bool,
    /// A CSV table's view, for the file's frame.
    table: &'a TableParams,
}

fn build(app: &App, user: &User, frame: &Frame, asked: Asked<'_>) -> airlock_core::Result<Reply> {
    let Asked {
        workspace,
        path,
        manifest: asked_manifest,
        page,
        show_out_of_date,
        table: asked_table,
    } = asked;
    let browse = app.store().browse(user, workspace)?;
    let ws = &browse.workspace;
    let manifest: String = ws.manifest_hash().chars().take(HASH_CHARS).collect();
    let options = TreeOptions { show_out_of_date };
    let tree = ws.tree(options, browse.current.as_deref(), &browse.released)?;
    let changed = asked_manifest.is_some_and(|m| m != manifest);
    let found = if path.is_empty() {
        None
    } else {
        match tree.find(path) {
            Some(index) => Some(index),
            None => {
                let unreadable = ws
                    .manifest()
                    .unreadable_entry(path)
                    .map(|why| airlock_core::workspace::unreadable_message(path, why));
                return Ok(moved(
                    &tree, workspace, path, changed, unreadable, &manifest,
                ));
            }
        }
    };
    if changed {
        // WS-8: the path is still shown; the same page, of the current manifest.
        let is_dir = found.and_then(|i| tree.node(i)).is_none_or(|n| n.is_dir());
        return Ok(Reply::to(page_url(workspace, path, is_dir, &manifest)));
    }
    let drawing = Drawing {
        tree: &tree,
        workspace,
        manifest: &manifest,
    };
    let mut open: Vec<usize> = parents(path).filter_map(|p| tree.find(p)).collect();
    let node = found.and_then(|i| tree.node(i));
    if let (Some(index), Some(node)) = (found, node)
        && node.is_dir()
    {
        open.push(index);
    }
    let rows = drawing.rows(path, &open);
    let rules = app.store().rules().clone();
    let asking = Asking {
        ctx: Ctx::new(user, &rules, app.store().now()),
        workspace,
        current: browse.current.as_deref(),
    };
    let pane = match node {
        Some(node) => match node.kind {
            NodeKind::File(file) => {
                let hints = app.store().workspace_hints(ws, node.path);
                Pane::File(Box::new(file_pane(
                    &browse,
                    &asking,
                    &node,
                    &file,
                    hints.as_deref().map_or(&[], Vec::as_slice),
                    asked_table,
                )))
            }
            NodeKind::Dir { .. } => {
                Pane::Dir(dir_pane(&drawing, &browse, &asking, found, path, page))
            }
        },
        None => Pane::Dir(dir_pane(&drawing, &browse, &asking, None, "", page)),
    };
    let mut crumbs = vec![Crumb {
        name: workspace.to_string(),
        url: page_url(workspace, "", true, &manifest),
    }];
    crumbs.extend(parents(path).map(|p| Crumb {
        name: p.rsplit('/').next().unwrap_or(p).to_string(),
        url: page_url(workspace, p, true, &manifest),
    }));
    let heading = match &pane {
        Pane::File(f) => f.name.clone(),
        Pane::Dir(d) if d.path.is_empty() => workspace.to_string(),
        Pane::Dir(d) => d.path.rsplit('/').next().unwrap_or(&d.path).to_string(),
    };
    render(BrowserPage {
        frame,
        workspace: workspace.to_string(),
        crumbs,
        heading,
        tree: rows,
        out_of_date: tree.out_of_date_count,
        showing_out_of_date: show_out_of_date,
        manifest_error: ws
            .manifest_error()
            .map(|_| airlock_core::workspace::MANIFEST_UNREADABLE.to_string()),
        pane,
        requests_url: format!("/requests/workspace/{}", format::segment(workspace)),
        current: browse.current.as_deref().map(|state| {
            (
                format!("/requests/view/{}/", format::segment(&state.request.id)),
                state.request.short_id(),
                state.request.status.as_str(),
                state.request.status.label(),
                state
                    .files
                    .iter()
                    .filter(|f| f.filetype != airlock_core::FileType::Withdrawn)
                    .count(),
            )
        }),
    })
}

/// Refuses a malformed path before anything is read.
fn checked(path: &PagePath) -> Result<String, AirlockError> {
    path.get().map(str::to_string)
}

/// `GET /workspaces/view/<ws>/[<path>]?m=&page=`: the workspace browser (PG-16).
#[get("/workspaces/view/<workspace>/<path..>?<m>&<page>&<table..>")]
pub async fn view(
    app: &State<App>,
    ctx: PageContext<'_>,
    workspace: &str,
    path: PagePath,
    m: Option<String>,
    page: Option<usize>,
    table: TableParams,
) -> Page {
    let workspace = workspace.to_string();
    let show = ctx.shows_out_of_date(&workspace);
    ctx.show(app, move |app, user, frame| {
        let path = checked(&path)?;
        let asked = Asked {
            workspace: &workspace,
            path: &path,
            manifest: m.as_deref(),
            page: page.unwrap_or(1),
            show_out_of_date: show,
            table: &table,
        };
        build(app, user, frame, asked)
    })
    .await
}

/// The routes of the browser.
pub fn routes() -> Vec<Route> {
    routes![view]
}
