// The static site's search: the site's places and agencies, from the index written beside it (no server).
(function () {
  "use strict";
  var box = document.getElementById("static-search");
  var index = window.DISENTANGLE_INDEX;
  if (!box || !index) { return; }
  var LIMIT = 200;
  var input = document.getElementById("q") || document.getElementById("site-q");
  var status = box.querySelector(".result-count");
  var list = box.querySelector(".results");
  var here = box.getAttribute("data-root") || "";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var folded = index.map(function (row) { return fold(row[0] + " " + row[1]); });

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function search(query) {
    list.textContent = "";
    var words = fold(query).split(/[\s,]+/).filter(Boolean);
    if (!words.length) { status.textContent = ""; return; }
    var code = query.trim().toUpperCase();
    var found = [];
    for (var i = 0; i < index.length; i++) {
      var row = index[i];
      var hit = (row[4] && row[4].toUpperCase() === code) ||
        words.every(function (w) { return folded[i].indexOf(w) !== -1; });
      if (hit) { found.push(row); }
    }
    found.sort(function (a, b) { return (a[2] === "agency") - (b[2] === "agency") || a[0].length - b[0].length; });
    status.textContent = found.length
      ? say(box.getAttribute("data-count"), { n: found.length, q: query }) +
        (found.length > LIMIT ? " " + say(box.getAttribute("data-more"), { n: LIMIT }) : "")
      : say(box.getAttribute("data-none"), { q: query });
    found.slice(0, LIMIT).forEach(function (row) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = here + row[3];
      link.textContent = row[0] + (row[1] && row[2] !== "state" ? ", " + row[1] : "");
      var kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = " " + (row[2] === "agency" ? box.getAttribute("data-agency") : box.getAttribute("data-place")) +
        (row[4] ? " · " + row[4] : "");
      item.appendChild(link);
      item.appendChild(kind);
      list.appendChild(item);
    });
  }

  var query = new URLSearchParams(window.location.search).get("q") || "";
  if (input) {
    input.value = query;
    input.addEventListener("input", function () { search(input.value); });
  }
  search(query);
})();
