// Attempt page: countdown from the server's deadline, autosave, submit when time is up.
// The server stays authoritative: this only saves answers early and tells the learner.
(function () {
  "use strict";
  var form = document.getElementById("attempt");
  if (!form) { return; }
  var state = document.getElementById("save-state");
  var timeLeft = document.getElementById("time-left");
  var deadline = form.dataset.deadline ? Date.parse(form.dataset.deadline) : null;
  var dirty = false, saving = false, submitted = false;

  function say(text) { if (state) { state.textContent = text; } }

  function save() {
    if (saving || submitted || !dirty) { return Promise.resolve(); }
    saving = true; dirty = false;
    return fetch(form.dataset.saveUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 409) { say(form.dataset.closedText); submitted = true; window.location.reload(); return; }
      if (!response.ok) { throw new Error(response.status); }
      say(form.dataset.savedText + " " + new Date().toLocaleTimeString(document.documentElement.lang || undefined));
    }).catch(function () { dirty = true; say(form.dataset.offlineText); })
      .finally(function () {
        saving = false;
        // A change made while this request was in flight must not wait for the next tick.
        if (dirty && !submitted && navigator.onLine !== false) { save(); }
      });
  }

  form.addEventListener("change", function () { dirty = true; save(); });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { submitted = true; });
  window.setInterval(save, Math.max(5, parseInt(form.dataset.autosave, 10) || 20) * 1000);
  window.addEventListener("online", save);

  function tick() {
    if (deadline === null || !timeLeft) { return; }
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    timeLeft.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (seconds <= 60) { timeLeft.parentNode.classList.add("timer-low"); }
    if (seconds === 0 && !submitted) { submitted = true; form.submit(); }
  }
  tick();
  window.setInterval(tick, 1000);
})();
