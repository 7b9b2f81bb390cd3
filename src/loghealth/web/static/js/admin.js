/* loghealth dashboard, Sources / Clients / Rules pages: ask before destructive form posts.
   A form with data-confirm="question" is submitted only when the person confirms. No inline
   scripts (CSP); without this file the forms still work, just without the question. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  /* A page showing a new ingest key once (the answer to a POST) takes the client page's
     address, so reloading shows the page again without the key instead of posting again. */
  var shown = document.querySelector("[data-replace-url]");
  if (shown && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", shown.getAttribute("data-replace-url"));
  }
})();
