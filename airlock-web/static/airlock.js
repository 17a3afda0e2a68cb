// Airlock's one script (PG-2: every page works without it; this only enhances). Loaded with
// `defer` from /static/, it runs no inline code and evaluates nothing (WEB-5). Each behaviour
// looks for the markup that asks for it:
//   form submit buttons       disabled once pressed, so a double click acts once (PG-13)
//   [data-select-all]         a checkbox that selects every file of a table
//   [data-filter-list]        a search box that filters a list as one types (PG-15)
//   [role=tree]               arrow keys move through the tree (the ARIA tree pattern, PG-16)
//   [data-review-keys]        j/k/a/r/c/? on a request file page (PG-22)
//   [data-upload-progress]    refreshes "uploaded x of y" while APPROVED (UPL-8)
//   [data-autosubmit]         a CSV table's column choices apply as they change (REN-2)
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // PG-13: a form is sent once; its buttons are disabled after the browser took their value.
  each("form", function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "yes") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "yes";
      window.setTimeout(function () {
        each("button[type=submit], button:not([type])", function (b) { b.disabled = true; }, form);
      }, 0);
    });
  });

  // Select every selectable file of a table.
  each("[data-select-all]", function (all) {
    var form = all.closest("form");
    if (!form) { return; }
    var boxes = form.querySelectorAll("input[type=checkbox][name=selected]");
    if (boxes.length === 0) { return; }
    all.hidden = false;
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (b) { b.checked = all.checked; });
    });
  });

  // PG-15: filter a list as one types (the form still works without a script).
  each("[data-filter-list]", function (input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      each("li[data-name]", function (li) {
        li.hidden = q !== "" && li.dataset.name.toLowerCase().indexOf(q) < 0;
      }, list);
    });
  });

  // PG-16: the ARIA tree pattern over the rendered rows: one tab stop, arrows move, Right
  // opens a closed directory (by following its link), Left goes to the parent.
  each("[role=tree]", function (tree) {
    var items = Array.prototype.slice.call(tree.querySelectorAll("[role=treeitem] > a"));
    if (items.length === 0) { return; }
    var current = tree.querySelector("a[aria-current]") || items[0];
    items.forEach(function (a) { a.tabIndex = a === current ? 0 : -1; });
    function level(a) { return parseInt(a.parentNode.getAttribute("aria-level"), 10) || 1; }
    function focus(a) {
      items.forEach(function (b) { b.tabIndex = -1; });
      a.tabIndex = 0;
      a.focus();
    }
    tree.addEventListener("keydown", function (event) {
      var i = items.indexOf(document.activeElement);
      if (i < 0) { return; }
      var a = items[i];
      var li = a.parentNode;
      switch (event.key) {
        case "ArrowDown": if (i + 1 < items.length) { focus(items[i + 1]); } break;
        case "ArrowUp": if (i > 0) { focus(items[i - 1]); } break;
        case "Home": focus(items[0]); break;
        case "End": focus(items[items.length - 1]); break;
        case "ArrowRight":
          if (li.getAttribute("aria-expanded") === "false") { window.location.href = a.href; }
          else if (li.getAttribute("aria-expanded") === "true" && items[i + 1]) { focus(items[i + 1]); }
          break;
        case "ArrowLeft":
          for (var j = i - 1; j >= 0; j--) {
            if (level(items[j]) < level(a)) { focus(items[j]); break; }
          }
          break;
        default: return;
      }
      event.preventDefault();
    });
  });

  // PG-22: review with the keyboard. Never while typing in a field.
  each("[data-review-keys]", function (page) {
    var help = document.getElementById("key-help");
    function typing(target) {
      return target && (target.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    }
    function press(id) {
      var button = document.getElementById(id);
      if (button && !button.disabled) { button.click(); }
    }
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
      var go = null;
      switch (event.key) {
        case "j": go = page.dataset.nextUrl; break;
        case "k": go = page.dataset.previousUrl; break;
        case "a": press("vote-approve"); break;
        case "r": press("vote-changes"); break;
        case "c":
          var box = document.getElementById("comment");
          if (box) { box.focus(); }
          break;
        case "?": if (help) { help.hidden = !help.hidden; } break;
        case "Escape": if (help) { help.hidden = true; } break;
        default: return;
      }
      if (go) { window.location.href = go; }
      event.preventDefault();
    });
  });

  // REN-2: hiding a column of a CSV table applies at once (the form's button still works).
  each("[data-autosubmit]", function (box) {
    var form = box.closest("form");
    if (!form) { return; }
    box.addEventListener("change", function () { form.submit(); });
  });

  // UPL-8: "Files released and uploaded: x of y" refreshes while APPROVED; a change of status
  // reloads the page.
  each("[data-upload-progress]", function (box) {
    var url = box.dataset.url;
    var status = box.dataset.status;
    if (!url || !window.fetch) { return; }
    function refresh() {
      window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) { return; }
          if (p.status !== status) { window.location.reload(); return; }
          var text = box.querySelector("[data-upload-text]");
          var bar = box.querySelector("progress");
          if (text) { text.textContent = p.uploaded + " of " + p.released; }
          if (bar) { bar.max = p.released || 1; bar.value = p.uploaded; }
        })
        .catch(function () { /* the next refresh tries again */ });
    }
    window.setInterval(refresh, 3000);
  });
})();
