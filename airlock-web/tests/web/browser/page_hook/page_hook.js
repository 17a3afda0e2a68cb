// The page hook of the browser tests: from the very start of every document it records what a
// page must never produce (console errors, uncaught errors and rejections, resources that
// failed to load, Content-Security-Policy violations) in window.__airlockPageProblems, which
// the checks read through WebDriver after each navigation.
//
// It must run before the page's own scripts, so it is installed per session, not per page:
// Chromium evaluates it in every new document (DevTools' Page.addScriptToEvaluateOnNewDocument),
// Firefox loads this directory as a temporary add-on whose content script runs it in the page's
// main world at document_start (manifest.json). Test-only: the product never serves it.
(function () {
  "use strict";
  if (window.__airlockPageProblems) {
    return;
  }
  var problems = [];
  window.__airlockPageProblems = problems;
  function record(kind, text) {
    if (problems.length < 50) {
      problems.push(kind + ": " + text);
    }
  }
  function where(file, line) {
    return file ? " (" + file + ":" + line + ")" : "";
  }
  document.addEventListener(
    "securitypolicyviolation",
    function (event) {
      record(
        "CSP violation",
        event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
          where(event.sourceFile, event.lineNumber)
      );
    },
    true
  );
  window.addEventListener(
    "error",
    function (event) {
      if (event instanceof ErrorEvent) {
        record("uncaught error", event.message + where(event.filename, event.lineno));
        return;
      }
      var target = event.target;
      if (target && target !== window && target.tagName) {
        var url = target.currentSrc || target.src || target.href || "";
        if (url && typeof url === "object" && "baseVal" in url) {
          url = url.baseVal;
        }
        record("failed to load", target.tagName.toLowerCase() + " " + url);
      }
    },
    true
  );
  window.addEventListener("unhandledrejection", function (event) {
    record("unhandled rejection", String(event.reason));
  });
  var original = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) {
      parts.push(String(arguments[i]));
    }
    record("console error", parts.join(" "));
    return original.apply(this, arguments);
  };
})();
