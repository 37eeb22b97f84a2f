// Course editor: show the fields of the chosen lesson type, and preview Markdown in place.
// Without this script the page still works: every field shows, and the Preview button
// reloads the page with the preview. The server renders (and sanitises) the preview.
(function () {
  "use strict";
  var form = document.getElementById("lesson-form");
  if (!form) { return; }
  var type = form.querySelector("select[name=type]");
  var bodied = (form.dataset.bodied || "").split(" ");
  var box = document.getElementById("lesson-preview");
  var target = document.getElementById("lesson-preview-body");

  function showFields() {
    var hasBody = bodied.indexOf(type.value) >= 0;
    form.querySelectorAll("fieldset[data-for]").forEach(function (set) {
      set.hidden = (set.dataset.for === "body") !== hasBody;
    });
  }

  function preview(event) {
    event.preventDefault();
    var token = form.querySelector("input[name=csrf_token]");
    fetch(form.dataset.previewUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      target.innerHTML = html;  // sanitised by the server, like the learner's lesson page
      box.hidden = false;
    }).catch(function () {
      target.textContent = form.dataset.failedText;
      box.hidden = false;
    });
  }

  if (type) { type.addEventListener("change", showFields); showFields(); }
  var button = form.querySelector("input[name=preview]");
  if (button && target) { button.addEventListener("click", preview); }
}());
