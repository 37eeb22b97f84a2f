/* SCORM 1.2 runtime for ASN LMS: window.API for the SCO shown in the lesson's frame.
 *
 * The page's [data-scorm] element names the session and commit URLs and the CSRF token.
 * The script opens a session (the server returns the CMI values), defines window.API with
 * the eight SCORM 1.2 functions, then loads the SCO. LMSSetValue applies the CMI 1.2 data
 * model's rules (read-only/write-only, vocabularies, types, arrays) and remembers what
 * changed; LMSCommit, LMSFinish and leaving the page send it to the server, which checks
 * every value again (lms/scorm/cmi.py) and decides completion. No dependencies.
 */
(function () {
  "use strict";

  var player = document.querySelector("[data-scorm]");
  if (!player) { return; }
  var frame = player.querySelector("iframe");
  var statusLine = player.querySelector(".scorm-status");
  var text = function (name) { return player.getAttribute("data-text-" + name) || ""; };

  var ERRORS = {
    "0": "No error", "101": "General exception", "201": "Invalid argument error",
    "202": "Element cannot have children", "203": "Element not an array - cannot have count",
    "301": "Not initialized", "401": "Not implemented error",
    "402": "Invalid set value, element is a keyword", "403": "Element is read only",
    "404": "Element is write only", "405": "Incorrect data type"
  };
  var CHILDREN = {
    "cmi.core": "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time",
    "cmi.core.score": "raw,min,max",
    "cmi.objectives": "id,score,status",
    "cmi.student_data": "mastery_score,max_time_allowed,time_limit_action",
    "cmi.student_preference": "audio,language,speed,text",
    "cmi.interactions": "id,objectives,time,type,correct_responses,weighting,student_response,result,latency"
  };
  var STATUSES = ["passed", "completed", "failed", "incomplete", "browsed"];
  var DECIMAL = /^-?(?:\d{1,10}(?:\.\d{0,10})?|\.\d{1,10})$/;
  var SINTEGER = /^[+-]?\d{1,5}$/;
  var IDENTIFIER = /^[!-~]{1,255}$/;
  var TIME = /^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,2})?$/;
  var TIMESPAN = /^\d{2,4}:[0-5]\d:[0-5]\d(?:\.\d{1,2})?$/;
  var MAX = {objectives: 100, interactions: 500, sub: 50};

  function string(limit) { return function (v) { return v.length <= limit; }; }
  function vocab(words) { return function (v) { return words.indexOf(v) >= 0; }; }
  function score(v) { return v === "" || (DECIMAL.test(v) && Number(v) >= 0 && Number(v) <= 100); }
  function sinteger(low, high) { return function (v) { return SINTEGER.test(v) && +v >= low && +v <= high; }; }
  function identifier(v) { return IDENTIFIER.test(v); }
  function result(v) { return ["correct", "wrong", "unanticipated", "neutral"].indexOf(v) >= 0 || DECIMAL.test(v); }

  /* Scalar elements: [readable, writable, type check]. */
  var SCALARS = {
    "cmi.core.student_id": [true, false], "cmi.core.student_name": [true, false],
    "cmi.core.lesson_location": [true, true, string(255)], "cmi.core.credit": [true, false],
    "cmi.core.lesson_status": [true, true, vocab(STATUSES)], "cmi.core.entry": [true, false],
    "cmi.core.score.raw": [true, true, score], "cmi.core.score.min": [true, true, score],
    "cmi.core.score.max": [true, true, score], "cmi.core.total_time": [true, false],
    "cmi.core.lesson_mode": [true, false], "cmi.core.exit": [false, true, vocab(["time-out", "suspend", "logout", ""])],
    "cmi.core.session_time": [false, true, function (v) { return TIMESPAN.test(v); }],
    "cmi.suspend_data": [true, true, string(4096)], "cmi.launch_data": [true, false],
    "cmi.comments": [true, true, string(4096)], "cmi.comments_from_lms": [true, false],
    "cmi.student_data.mastery_score": [true, false], "cmi.student_data.max_time_allowed": [true, false],
    "cmi.student_data.time_limit_action": [true, false],
    "cmi.student_preference.audio": [true, true, sinteger(-1, 100)],
    "cmi.student_preference.language": [true, true, string(255)],
    "cmi.student_preference.speed": [true, true, sinteger(-100, 100)],
    "cmi.student_preference.text": [true, true, sinteger(-1, 1)]
  };
  var OBJECTIVE = /^cmi\.objectives\.(\d+)\.(id|status|score\.raw|score\.min|score\.max|score\._children)$/;
  var OBJECTIVE_TYPES = {"id": identifier, "status": vocab(STATUSES.concat(["not attempted"])),
                         "score.raw": score, "score.min": score, "score.max": score};
  var INTERACTION = /^cmi\.interactions\.(\d+)\.(id|time|type|weighting|student_response|result|latency|objectives\.(\d+)\.id|correct_responses\.(\d+)\.pattern|objectives\._count|correct_responses\._count)$/;
  var INTERACTION_TYPES = {
    "id": identifier, "time": function (v) { return TIME.test(v); },
    "type": vocab(["true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric"]),
    "weighting": function (v) { return DECIMAL.test(v); }, "student_response": string(255),
    "result": result, "latency": function (v) { return TIMESPAN.test(v); }
  };

  var values = {};          // element -> string
  var objectives = [];      // [{id, status, score: {raw, min, max}}]
  var interactions = [];    // [[objectives count, correct_responses count]]
  var pending = new Map();  // element -> value set since the last commit, in first-set order
  var session = null;
  var state = {initialized: false, finished: false, error: "0", diagnostic: "", replaced: false};
  var chain = Promise.resolve();
  var retryDelay = 2000;

  function fail(code, diagnostic) {
    state.error = String(code);
    state.diagnostic = diagnostic || "";
    return code === 0 ? "true" : "false";
  }

  function say(message) { if (statusLine) { statusLine.textContent = message; } }

  /* ------------------------------------------------------------------ reading */

  function getValue(element) {
    if (!state.initialized || state.finished) { fail(301); return ""; }
    element = String(element);
    if (element === "") { fail(201, "no element"); return ""; }
    fail(0);
    var match;
    if (/\._children$/.test(element)) {
      var parent = element.slice(0, -10);
      if (CHILDREN[parent]) { return CHILDREN[parent]; }
      match = /^cmi\.objectives\.(\d+)\.score$/.exec(parent);
      if (match) { return +match[1] < objectives.length ? "raw,min,max" : (fail(201), ""); }
      return known(parent) ? (fail(202), "") : (fail(201), "");
    }
    if (/\._count$/.test(element)) {
      var array = element.slice(0, -7);
      if (array === "cmi.objectives") { return String(objectives.length); }
      if (array === "cmi.interactions") { return String(interactions.length); }
      match = /^cmi\.interactions\.(\d+)\.(objectives|correct_responses)$/.exec(array);
      if (match) {
        var item = interactions[+match[1]];
        return item ? String(item[match[2] === "objectives" ? 0 : 1]) : (fail(201), "");
      }
      return known(array) ? (fail(203), "") : (fail(201), "");
    }
    if (element === "cmi._version") { return "3.4"; }
    if (SCALARS[element]) {
      if (!SCALARS[element][0]) { fail(404); return ""; }
      return values[element] === undefined ? "" : values[element];
    }
    match = OBJECTIVE.exec(element);
    if (match) {
      var objective = objectives[+match[1]];
      if (!objective) { fail(201, "no objective " + match[1]); return ""; }
      return match[2].indexOf("score.") === 0 ? objective.score[match[2].slice(6)] : objective[match[2]];
    }
    if (INTERACTION.test(element)) { fail(404); return ""; }
    fail(element.indexOf("cmi.") === 0 ? 401 : 201);
    return "";
  }

  function known(element) {
    return SCALARS[element] !== undefined || CHILDREN[element] !== undefined || OBJECTIVE.test(element)
      || INTERACTION.test(element) || /^cmi\.(objectives|interactions)\.\d+$/.test(element);
  }

  /* ------------------------------------------------------------------ writing */

  function setValue(element, value) {
    if (!state.initialized || state.finished) { return fail(301); }
    element = String(element);
    value = String(value);
    if (/\._(children|count)$/.test(element)) { return fail(element.indexOf("cmi.") === 0 ? 402 : 201); }
    var match;
    if (SCALARS[element]) {
      var rule = SCALARS[element];
      if (!rule[1]) { return fail(403); }
      if (!rule[2](value)) { return fail(405, element + ": " + JSON.stringify(value)); }
      values[element] = value;
      return remember(element, value);
    }
    match = OBJECTIVE.exec(element);
    if (match) {
      if (!OBJECTIVE_TYPES[match[2]](value)) { return fail(405, element); }
      var index = +match[1];
      if (index > objectives.length) { return fail(201, "index past the end"); }
      if (index === objectives.length) {
        if (index >= MAX.objectives) { return fail(101, "too many objectives"); }
        objectives.push({id: "", status: "not attempted", score: {raw: "", min: "", max: ""}});
      }
      if (match[2].indexOf("score.") === 0) { objectives[index].score[match[2].slice(6)] = value; }
      else { objectives[index][match[2]] = value; }
      return remember(element, value);
    }
    match = INTERACTION.exec(element);
    if (match) { return setInteraction(element, match, value); }
    if (isReadOnly(element)) { return fail(403); }
    return fail(element.indexOf("cmi.") === 0 ? 401 : 201);
  }

  function isReadOnly(element) {
    return element === "cmi._version";
  }

  function setInteraction(element, match, value) {
    var index = +match[1], name = match[2], slot = null, check;
    if (name.indexOf("objectives.") === 0) { slot = 0; check = identifier; }
    else if (name.indexOf("correct_responses.") === 0) { slot = 1; check = string(255); }
    else { check = INTERACTION_TYPES[name]; }
    if (!check(value)) { return fail(405, element); }
    if (index > interactions.length) { return fail(201, "index past the end"); }
    if (index === interactions.length) {
      if (index >= MAX.interactions) { return fail(101, "too many interactions"); }
      interactions.push([0, 0]);
    }
    if (slot !== null) {
      var sub = +(slot === 0 ? match[3] : match[4]);
      if (sub > interactions[index][slot]) { return fail(201, "index past the end"); }
      if (sub === interactions[index][slot]) {
        if (sub >= MAX.sub) { return fail(101, "too many entries"); }
        interactions[index][slot] += 1;
      }
    }
    return remember(element, value);
  }

  function remember(element, value) {
    pending.set(element, value);  // an element set again keeps its first place: arrays replay in order
    return fail(0);
  }

  /* ------------------------------------------------------------------ saving */

  function send(finish, leaving) {
    var batch = Array.from(pending.entries());
    pending = new Map();
    var body = JSON.stringify({session: session, values: batch, finish: finish});
    if (leaving) { return beacon(body); }
    say(text("saving"));
    return fetch(player.getAttribute("data-commit-url"), {
      method: "POST", credentials: "same-origin", keepalive: body.length < 60000,
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": player.getAttribute("data-csrf")},
      body: body
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
    if (data.lesson_status) { values["cmi.core.lesson_status"] = data.lesson_status; }
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
      fetch(url, {method: "POST", credentials: "same-origin", keepalive: true, body: body,
                  headers: {"Content-Type": "application/json", "Accept": "application/json",
                            "X-CSRFToken": player.getAttribute("data-csrf")}});
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

  /* ------------------------------------------------------------------ the API */

  function noArgument(argument) { return argument === undefined || argument === null || String(argument) === ""; }

  window.API = {
    LMSInitialize: function (argument) {
      if (!noArgument(argument)) { return fail(201, "the argument must be empty"); }
      if (state.initialized || state.finished) { return fail(101, "already initialized"); }
      state.initialized = true;
      return fail(0);
    },
    LMSFinish: function (argument) {
      if (!noArgument(argument)) { return fail(201, "the argument must be empty"); }
      if (!state.initialized || state.finished) { return fail(301); }
      state.finished = true;
      commit(true);
      return fail(0);
    },
    LMSGetValue: function (element) { return getValue(element); },
    LMSSetValue: function (element, value) { return setValue(element, value); },
    LMSCommit: function (argument) {
      if (!noArgument(argument)) { return fail(201, "the argument must be empty"); }
      if (!state.initialized || state.finished) { return fail(301); }
      commit(false);
      return fail(0);
    },
    LMSGetLastError: function () { return state.error; },
    LMSGetErrorString: function (code) { return ERRORS[String(code)] || ""; },
    LMSGetDiagnostic: function (code) {
      return noArgument(code) || String(code) === state.error ? (state.diagnostic || ERRORS[state.error] || "")
        : (ERRORS[String(code)] || "");
    }
  };

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
    values = data.values || {};
    objectives = data.objectives || [];
    interactions = data.interactions || [];
    say(data.preview ? text("preview") : "");
    frame.hidden = false;
    frame.src = data.launch;
  }).catch(function () {
    say(text("failed"));
  });
}());
