// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The map layer menu applies itself when changed (the Show button remains for keyboard and no-JS use).
  var layer = document.getElementById("layer");
  if (layer && layer.form) {
    layer.addEventListener("change", function () { layer.form.submit(); });
  }

  // Map hover card: the county's <title> text shown beside the pointer or the focused county.
  var map = document.querySelector("svg.map");
  var tip = document.getElementById("map-tip");
  if (!map || !tip) { return; }
  var frame = tip.parentNode;

  function text(link) {
    var title = link.querySelector("title");
    if (title) {
      // Keep the words for assistive technology on the link, and drop the native tooltip.
      link.setAttribute("aria-label", title.textContent.replace(/\n/g, "; "));
      link.dataset.tip = title.textContent;
      title.remove();
    }
    return link.dataset.tip || "";
  }

  function show(link, x, y) {
    var lines = text(link).split("\n");
    tip.textContent = "";
    lines.forEach(function (line, i) {
      var el = document.createElement(i === 0 ? "strong" : "span");
      el.textContent = line;
      tip.appendChild(el);
    });
    tip.hidden = false;
    var box = frame.getBoundingClientRect();
    var left = x - box.left + 14, top = y - box.top + 14;
    if (left + tip.offsetWidth > box.width) { left = Math.max(0, x - box.left - tip.offsetWidth - 14); }
    if (top + tip.offsetHeight > box.height) { top = Math.max(0, y - box.top - tip.offsetHeight - 14); }
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  map.addEventListener("mouseover", function (event) {
    var link = event.target.closest("a");
    if (link) { show(link, event.clientX, event.clientY); }
  });
  map.addEventListener("mousemove", function (event) {
    var link = event.target.closest("a");
    if (link && !tip.hidden) { show(link, event.clientX, event.clientY); }
  });
  map.addEventListener("mouseleave", function () { tip.hidden = true; });
  map.addEventListener("focusin", function (event) {
    var link = event.target.closest("a");
    if (link) {
      var r = link.getBoundingClientRect();
      show(link, r.right, r.bottom);
    }
  });
  map.addEventListener("focusout", function () { tip.hidden = true; });
})();
