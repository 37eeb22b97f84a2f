// Attempt page: countdown from the server's deadline, autosave that survives a dropped
// connection, and a submit that can be retried. The server stays authoritative: this only
// saves answers early, keeps them on the device while the network is gone, and tells the learner.
//
// Every change is written to localStorage first (key per attempt), then sent to the save URL.
// The local copy is dropped once the server has stored exactly those answers; on a reload the
// page shows the server's answers, then puts back a local copy the server never received.
(function () {
  "use strict";
  var form = document.getElementById("attempt");
  if (!form) { return; }
  var state = document.getElementById("save-state");
  var timeLeft = document.getElementById("time-left");
  var button = document.getElementById("submit-attempt");
  var deadline = form.dataset.deadline ? Date.parse(form.dataset.deadline) : null;
  var key = "lms.attempt." + form.dataset.uid;
  // When the server last stored an answer of this attempt (ms since the epoch, 0: never).
  var serverSavedAt = parseInt(form.dataset.savedAt, 10) || 0;
  var dirty = false, saving = false, submitting = false, submitWanted = false, finished = false;

  function say(text) { if (state) { state.textContent = text; } }

  function store() {
    try { return window.localStorage; } catch (e) { return null; }  // disabled, or a private window
  }

  // The answers as {name: [values]}: checked boxes, chosen options, typed text (not the CSRF token).
  function answers() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.disabled || el.type === "submit" || el.type === "button") { return; }
      var values = data[el.name] || (data[el.name] = []);
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { values.push(el.value); }
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { values.push(o.value); });
      } else {
        values.push(el.value);
      }
    });
    return data;
  }

  function restore(data) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !Object.prototype.hasOwnProperty.call(data, el.name) || el.name === "csrf_token") { return; }
      var values = data[el.name];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) !== -1; });
      } else if (el.type !== "submit" && el.type !== "button") {
        var index = seen[el.name] = (seen[el.name] || 0);  // several fields may share a name
        seen[el.name] += 1;
        if (index < values.length) { el.value = values[index]; }
      }
    });
  }

  function remember() {
    var local = store();
    if (!local) { return false; }
    try {
      local.setItem(key, JSON.stringify({ answers: answers(), base: serverSavedAt, at: Date.now() }));
      return true;
    } catch (e) { return false; }  // storage full: the server copy is all there is
  }

  function remembered() {
    var local = store();
    try { return local ? JSON.parse(local.getItem(key) || "null") : null; } catch (e) { return null; }
  }

  function forget() {
    var local = store();
    try { if (local) { local.removeItem(key); } } catch (e) { /* nothing to forget */ }
  }

  function notSaved() { say(store() && remembered() ? form.dataset.queuedText : form.dataset.offlineText); }

  function save() {
    if (saving || submitting || finished || !dirty) { return Promise.resolve(); }
    saving = true; dirty = false;
    var sent = JSON.stringify(answers());
    return fetch(form.dataset.saveUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 409) { finished = true; forget(); say(form.dataset.closedText); window.location.reload(); return; }
      // A redirect (to the sign-in page) or an error page is no save: keep the answers here.
      if (!response.ok || response.redirected) { throw new Error(response.status); }
      return response.json().then(function (body) {
        serverSavedAt = Date.parse(body.saved_at) || Date.now();
        if (JSON.stringify(answers()) === sent) { forget(); } else { dirty = true; }
        say(form.dataset.savedText + " " + new Date().toLocaleTimeString(document.documentElement.lang || undefined));
      });
    }).catch(function () { dirty = true; notSaved(); })
      .finally(function () {
        saving = false;
        // A change made while this request was in flight must not wait for the next tick.
        if (dirty && !finished && navigator.onLine !== false) { save(); }
      });
  }

  function changed() {
    dirty = true;
    if (!remember()) { return; }
    if (navigator.onLine === false) { notSaved(); }
  }

  // Submit through fetch, so a dropped connection leaves the learner on this page with the answers.
  function submit() {
    if (submitting || finished) { return; }
    submitting = true; submitWanted = true;
    remember();
    if (button) { button.disabled = true; }
    say(form.dataset.sendingText);
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok || response.redirected) { throw new Error(response.status); }
      return response.json();
    }).then(function (body) {
      finished = true; forget();
      window.location.assign(body.redirect);
    }).catch(function () {
      submitting = false;
      if (button) { button.disabled = false; }
      say(form.dataset.submitFailedText);
    });
  }

  // Back from the device: answers the server never got win over the page's (server) answers,
  // unless the server stored newer ones meanwhile (another tab or device, after this copy).
  var local = remembered();
  if (local && local.answers) {
    if ((local.base || 0) >= serverSavedAt || (local.at || 0) > serverSavedAt) {
      restore(local.answers);
      dirty = true;
      say(form.dataset.restoredText);
      save();
    } else {
      forget();
    }
  }

  form.addEventListener("change", function () { changed(); save(); });
  form.addEventListener("input", changed);
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  window.setInterval(save, Math.max(5, parseInt(form.dataset.autosave, 10) || 20) * 1000);
  window.addEventListener("online", function () {
    if (submitWanted && !finished) { submit(); } else { save(); }
  });
  window.addEventListener("offline", function () { if (dirty) { notSaved(); } });

  function tick() {
    if (deadline === null || !timeLeft) { return; }
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    timeLeft.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (seconds <= 60) { timeLeft.parentNode.classList.add("timer-low"); }
    if (seconds === 0 && !submitWanted) { submit(); }
  }
  tick();
  window.setInterval(tick, 1000);
})();
