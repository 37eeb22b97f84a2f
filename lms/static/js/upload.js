// Course package upload with a progress bar. Without this script the form posts normally.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");

  function show(text, fraction) {
    bar.hidden = false;
    if (fraction === null) { bar.removeAttribute("value"); } else { bar.value = fraction; }
    status.textContent = text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("X-Upload-Progress", "1");
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round(100 * e.loaded / e.total);
        show(form.dataset.sending.replace("{percent}", percent), e.loaded / e.total);
      }
    });
    request.upload.addEventListener("load", function () {
      show(form.dataset.checking, null);
    });
    request.addEventListener("load", function () {
      var type = request.getResponseHeader("Content-Type") || "";
      if (request.status === 200 && type.indexOf("application/json") === 0) {
        window.location.assign(JSON.parse(request.responseText).location);
        return;
      }
      // A refusal is a whole page listing the problems: show it as the browser would.
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      show(form.dataset.failed, 0);
    });
    button.disabled = true;
    show(form.dataset.sending.replace("{percent}", "0"), 0);
    request.send(new FormData(form));
  });
})();
