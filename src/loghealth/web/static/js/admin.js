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
})();
