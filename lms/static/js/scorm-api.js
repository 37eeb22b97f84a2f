/* SCORM 1.2 player for ASN LMS: opens a session, shows the SCO, saves what it reports.
 *
 * The page's [data-scorm] element names the session and commit URLs and the CSRF token.
 * The script opens a session (the server answers with a signed launch URL, on the content
 * origin or sandboxed: docs/content-isolation.md) and loads the SCO in the frame. The SCO
 * never runs on the LMS's origin, so window.API lives in the SCO's own document
 * (scorm-runtime.js, added by the server); it checks each value and sends it here by
 * postMessage. This page keeps what is unsaved and posts it to the server on LMSCommit,
 * LMSFinish and when the page is left; the server checks every value again
 * (lms/scorm/cmi.py) and decides completion. No dependencies.
 */
(function () {
  "use strict";

  var player = document.querySelector("[data-scorm]");
  if (!player) { return; }
  var frame = player.querySelector("iframe");
  var statusLine = player.querySelector(".scorm-status");
  var text = function (name) { return player.getAttribute("data-text-" + name) || ""; };

  var pending = new Map();  // element -> value set since the last commit, in first-set order
  var session = null;
  var contentOrigin = null;
  var state = {finished: false, replaced: false};
  var chain = Promise.resolve();
  var retryDelay = 2000;

  function say(message) { if (statusLine) { statusLine.textContent = message; } }

  /* ------------------------------------------------------------------ from the SCO */

  /* The message comes from the SCO's frame (or a frame inside it), from the content origin
     (or an opaque one, "null", when the content is sandboxed on this origin). */
  function fromSco(event) {
    var origin = contentOrigin === window.location.origin ? "null" : contentOrigin;
    if (event.origin !== origin || !frame.contentWindow) { return false; }
    for (var win = event.source, hops = 0; win && hops < 10; win = win.parent, hops += 1) {
      if (win === frame.contentWindow) { return true; }
      if (win === win.parent) { return false; }
    }
    return false;
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.lms !== "scorm" || !session || data.session !== session || !fromSco(event)) { return; }
    if (data.type === "set" && typeof data.element === "string" && typeof data.value === "string") {
      pending.set(data.element, data.value);  // set again keeps its first place: arrays replay in order
    } else if (data.type === "commit") {
      if (data.finish) { state.finished = true; }
      commit(Boolean(data.finish));
    }
  });

  function tellSco(message) {
    if (!frame.contentWindow) { return; }
    message.lms = "scorm";
    message.session = session;
    var target = contentOrigin === window.location.origin ? "*" : contentOrigin;  // sandboxed: opaque
    frame.contentWindow.postMessage(message, target);
  }

  /* ------------------------------------------------------------------ saving */

  function headers() {
    return {"Content-Type": "application/json", "Accept": "application/json",
            "X-CSRFToken": player.getAttribute("data-csrf")};
  }

  function send(finish, leaving) {
    var batch = Array.from(pending.entries());
    pending = new Map();
    var body = JSON.stringify({session: session, values: batch, finish: finish});
    if (leaving) { return beacon(body); }
    say(text("saving"));
    return fetch(player.getAttribute("data-commit-url"), {
      method: "POST", credentials: "same-origin", keepalive: body.length < 60000, headers: headers(), body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) { return saved(data); }
        if (response.status === 409) { state.replaced = true; say(text("replaced")); return null; }
        if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          say(text("refused") + (data.error ? " (" + data.error.message + ")" : ""));
          if (window.console) { console.warn("SCORM commit refused", data); }
          return null;
        }
        throw new Error("HTTP " + response.status);
      });
    }).catch(function () {
      restore(batch);
      say(text("retry"));
      setTimeout(function () { commit(false); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    });
  }

  function restore(batch) {
    var merged = new Map(batch);
    pending.forEach(function (value, element) { merged.set(element, value); });
    pending = merged;
  }

  function saved(data) {
    retryDelay = 2000;
    if (data.lesson_status) { tellSco({type: "status", lesson_status: data.lesson_status}); }
    if (data.course_completed) { say(text("course-completed")); }
    else if (data.completed) { say(text("completed")); }
    else { say(data.recorded === false ? text("preview") : text("saved")); }
    if (data.completed) {
      var done = document.querySelector("[data-scorm-done]");
      if (done) { done.hidden = false; }
      var pendingNote = document.querySelector("[data-scorm-pending]");
      if (pendingNote) { pendingNote.hidden = true; }
    }
    document.dispatchEvent(new CustomEvent("scorm:saved", {detail: data}));
    return data;
  }

  function commit(finish) {
    if (state.replaced || !session) { return chain; }
    chain = chain.then(function () {
      if (pending.size === 0 && !finish) { return null; }
      return send(finish, false);
    });
    return chain;
  }

  /* The page is being left: what is unsaved goes with the request the browser keeps alive. */
  function beacon(body) {
    var url = player.getAttribute("data-commit-url");
    try {
      fetch(url, {method: "POST", credentials: "same-origin", keepalive: true, body: body, headers: headers()});
    } catch (error) {
      var form = new FormData();
      form.append("csrf_token", player.getAttribute("data-csrf"));
      form.append("payload", body);
      if (navigator.sendBeacon) { navigator.sendBeacon(url, form); }
    }
    return Promise.resolve(null);
  }

  function leaving() {
    if (session && !state.replaced && pending.size > 0) { send(state.finished, true); }
  }

  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { leaving(); }
  });

  /* ------------------------------------------------------------------ start */

  say(text("loading"));
  fetch(player.getAttribute("data-session-url"), {
    method: "POST", credentials: "same-origin",
    headers: {"Accept": "application/json", "X-CSRFToken": player.getAttribute("data-csrf")}
  }).then(function (response) {
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.json();
  }).then(function (data) {
    session = data.session;
    contentOrigin = new URL(data.launch, window.location.href).origin;
    say(data.preview ? text("preview") : "");
    frame.hidden = false;
    frame.src = data.launch;
  }).catch(function () {
    say(text("failed"));
  });
}());
