/* loghealth dashboard: apply the saved theme before the first paint (no flash).
   No saved choice: the page follows prefers-color-scheme (see app.css). */
(function () {
  "use strict";
  try {
    var saved = window.localStorage.getItem("loghealth-theme");
    if (saved === "dark" || saved === "light") {
      document.documentElement.setAttribute("data-theme", saved);
    }
  } catch (ignored) {
    /* storage may be disabled: follow the system theme */
  }
})();
