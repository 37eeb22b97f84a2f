/* SCORM 1.2 runtime for ASN LMS: window.API inside the SCO's own document.
 *
 * The server puts this script first in the head of the SCO's HTML documents (served by a
 * signed link, from the content origin or sandboxed: lms/services/scorm.py), with the
 * session's CMI values in its data-lms-scorm attribute, so window.API exists before the
 * SCO's scripts look for it, and answers synchronously. LMSSetValue applies the CMI 1.2
 * data model's rules (read-only/write-only, vocabularies, types, arrays); each accepted
 * value, LMSCommit and LMSFinish go to the player on the LMS page by postMessage (the SCO
 * cannot reach the LMS's origin otherwise), and the player saves them (scorm-api.js).
 * The server checks every value again (lms/scorm/cmi.py). No dependencies.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var config;
  try { config = JSON.parse(script.getAttribute("data-lms-scorm")); } catch (error) { return; }
  /* A frame of the SCO under a document that already has the runtime uses that one. */
  try {
    for (var up = window.parent; up && up !== window; up = up.parent) {
      if (up.API && up.API.__lms) { return; }
      if (up === up.parent) { break; }
    }
  } catch (error) { /* another origin above: this document is the SCO's top */ }
  var playerOrigin = config.player;

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
  var session = null;
  var state = {initialized: false, finished: false, error: "0", diagnostic: "", replaced: false};

  values = config.values || {};
  objectives = config.objectives || [];
  interactions = config.interactions || [];

  function fail(code, diagnostic) {
    state.error = String(code);
    state.diagnostic = diagnostic || "";
    return code === 0 ? "true" : "false";
  }

  /* To the player: every ancestor is tried, only the LMS's origin receives it. */
  function tell(message) {
    message.lms = "scorm";
    message.session = config.session;
    for (var win = window.parent; win; win = win.parent) {
      try { win.postMessage(message, playerOrigin); } catch (error) { /* keep going up */ }
      if (win === win.parent) { break; }
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== playerOrigin || !data || data.lms !== "scorm" || data.session !== config.session) { return; }
    if (data.type === "status" && data.lesson_status) { values["cmi.core.lesson_status"] = data.lesson_status; }
  });

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
    tell({type: "set", element: element, value: value});
    return fail(0);
  }

  function commit(finish) {
    tell({type: "commit", finish: finish});
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
  Object.defineProperty(window.API, "__lms", {value: true});
  tell({type: "ready"});
}());
