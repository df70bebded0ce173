// Places the dashboard's wider figures under its charts once they are counted (they take longer
// than the KPI table over years of records). Without it the section keeps its link to them.
(function () {
  "use strict";
  var section = document.getElementById("wider-figures");
  if (!section || !window.fetch) {
    return;
  }
  var status = document.getElementById("wider-figures-status");
  var link = status ? status.innerHTML : "";
  if (status) {
    status.textContent = "Counting the wider figures\u2026";
  }
  window.fetch(section.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.text();
    })
    .then(function (html) {
      var parsed = new DOMParser().parseFromString(html, "text/html");
      section.replaceChildren.apply(section, Array.prototype.slice.call(parsed.body.childNodes));
      section.setAttribute("data-loaded", "true");
    })
    .catch(function () {
      if (status) {
        status.innerHTML = link;
      }
      section.setAttribute("data-loaded", "failed");
    });
})();
