// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The map layer menu applies itself when changed (the Show button remains for keyboard and no-JS use).
  var layer = document.getElementById("layer");
  if (layer && layer.form) {
    layer.addEventListener("change", function () { layer.form.submit(); });
  }

  // On a phone a table's rows become cards: each cell is labelled with its column's heading.
  Array.prototype.forEach.call(document.querySelectorAll(".table-wrap table"), function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr, tfoot tr"), function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (!cell.hasAttribute("data-label") && heads[column]) { cell.setAttribute("data-label", heads[column]); }
        column += cell.colSpan || 1;
      });
    });
  });

  // On a phone the long sections start folded: their summaries make the page short enough to scan.
  if (window.matchMedia && window.matchMedia("(max-width: 640px)").matches) {
    Array.prototype.forEach.call(document.querySelectorAll("details.fold-on-phone[open]"), function (d) {
      d.removeAttribute("open");
    });
  }

  var map = document.querySelector("svg.map");
  var tip = document.getElementById("map-tip");
  if (!map || !tip) { return; }
  zoomable(map, tip.parentNode);
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

  // Pan and zoom by moving the SVG's viewBox: the wheel, a drag, two fingers, or the buttons.
  function zoomable(svg, frame) {
    var base = svg.viewBox.baseVal;
    var full = { x: base.x, y: base.y, w: base.width, h: base.height };
    var view = { x: full.x, y: full.y, w: full.w, h: full.h };
    var MAX = 24;
    var labels = document.documentElement.lang === "es" ? ["Acercar", "Alejar", "Ver todo el país"] : ["Zoom in", "Zoom out", "Show the whole country"];

    function apply() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (n) { return n.toFixed(2); }).join(" "));
      var zoom = full.w / view.w;
      svg.style.setProperty("--state-label", (11 / Math.sqrt(zoom)) + "px");
      svg.style.setProperty("--county-label", (9 / zoom) + "px");
      svg.style.setProperty("--label-halo", (2 / zoom) + "px");
      svg.classList.toggle("zoom-near", zoom >= 4);
      svg.setAttribute("data-zoom", zoom.toFixed(2));
      frame.classList.toggle("zooming", zoom > 1.01);
    }

    function clamp() {
      view.w = Math.min(full.w, Math.max(full.w / MAX, view.w));
      view.h = view.w * full.h / full.w;
      view.x = Math.min(full.x + full.w - view.w, Math.max(full.x, view.x));
      view.y = Math.min(full.y + full.h - view.h, Math.max(full.y, view.y));
    }

    // The map point under a screen point.
    function at(clientX, clientY) {
      var box = svg.getBoundingClientRect();
      return { x: view.x + (clientX - box.left) / box.width * view.w, y: view.y + (clientY - box.top) / box.height * view.h };
    }

    function zoomBy(factor, clientX, clientY) {
      var box = svg.getBoundingClientRect();
      if (clientX === undefined) { clientX = box.left + box.width / 2; clientY = box.top + box.height / 2; }
      var p = at(clientX, clientY);
      view.w /= factor;
      view.h /= factor;
      view.x = p.x - (clientX - box.left) / box.width * view.w;
      view.y = p.y - (clientY - box.top) / box.height * view.h;
      clamp();
      apply();
    }

    var bar = document.createElement("div");
    bar.className = "map-zoom";
    [["+", function () { zoomBy(2); }], ["−", function () { zoomBy(0.5); }], ["↺", function () {
      view = { x: full.x, y: full.y, w: full.w, h: full.h }; apply();
    }]].forEach(function (b, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b[0];
      button.setAttribute("aria-label", labels[i]);
      button.title = labels[i];
      button.addEventListener("click", b[1]);
      bar.appendChild(button);
    });
    frame.appendChild(bar);

    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoomBy(Math.pow(1.0015, -event.deltaY), event.clientX, event.clientY);
    }, { passive: false });

    var pointers = {};
    var moved = false;
    var last = null;
    function spread() {
      var ids = Object.keys(pointers);
      if (ids.length < 2) { return null; }
      var a = pointers[ids[0]], b = pointers[ids[1]];
      return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    }
    svg.addEventListener("pointerdown", function (event) {
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      moved = false;
      last = spread() || { x: event.clientX, y: event.clientY };
    });
    svg.addEventListener("pointermove", function (event) {
      if (!pointers[event.pointerId]) { return; }
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      var now = spread() || { x: event.clientX, y: event.clientY };
      if (!moved && Math.hypot(now.x - last.x, now.y - last.y) < 4) { return; }
      if (!moved) { svg.setPointerCapture(event.pointerId); }
      moved = true;
      var box = svg.getBoundingClientRect();
      if (now.d && last.d) { zoomBy(now.d / last.d, now.x, now.y); }
      view.x -= (now.x - last.x) / box.width * view.w;
      view.y -= (now.y - last.y) / box.height * view.h;
      clamp();
      apply();
      last = now;
      tip.hidden = true;
    });
    function up(event) {
      delete pointers[event.pointerId];
      last = spread() || (Object.keys(pointers).length ? pointers[Object.keys(pointers)[0]] : null);
    }
    svg.addEventListener("pointerup", up);
    svg.addEventListener("pointercancel", up);
    // A drag is not a click: the county under the pointer at the end of a pan does not open.
    svg.addEventListener("click", function (event) {
      if (moved) { event.preventDefault(); event.stopPropagation(); moved = false; }
    }, true);
    apply();
  }
})();
