// Reception queue: new handoffs appear without a reload. The server pushes an event for each new
// handoff (server-sent events); the page then fetches its own rows again, with the same filters.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var rows = document.getElementById("queue-rows");
  if (!live || !rows || !window.EventSource) {
    return;
  }
  var pending = false;
  var again = false; // asked again while a fetch was under way: fetch once more afterwards

  function refresh() {
    if (pending) {
      again = true;
      return;
    }
    pending = true;
    again = false;
    var params = new URLSearchParams(window.location.search);
    params.set("rows", "1");
    fetch(window.location.pathname + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          window.location.reload(); // logged out elsewhere: show the login page
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          // Server-rendered, escaped by the template engine; no script runs from it (CSP).
          rows.innerHTML = html;
        }
      })
      .finally(function () {
        pending = false;
        if (again) {
          refresh();
        }
      });
  }

  // A safety net under the event stream: an event missed while the stream reconnects (or lost
  // in transit) still shows up within half a minute.
  var FALLBACK_REFRESH_MS = 20000;
  window.setInterval(refresh, FALLBACK_REFRESH_MS);

  var source = new EventSource(live.getAttribute("data-events"));
  source.addEventListener("handoff", function (event) {
    var data = JSON.parse(event.data);
    live.textContent = "New handoff " + data.reference_code + " added.";
    refresh();
  });
  source.addEventListener("open", function () {
    live.classList.add("connected");
    // Catch up on anything that arrived between rendering the page (or a lost connection, say a
    // server restart) and this stream starting.
    refresh();
  });
})();
