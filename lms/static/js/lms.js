// Small behaviours every page may use; each works without this script too.
(function () {
  "use strict";
  // <form data-confirm="Question?">: ask before a destructive submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
