// Redaction review: unticking a box shows it as dropped; dragging on a page draws a box to add.
(function () {
  "use strict";
  const add = document.getElementById("add");

  document.querySelectorAll("input[name=keep]").forEach((box) => {
    box.addEventListener("change", () => {
      const rect = document.getElementById(box.dataset.box);
      if (rect) rect.classList.toggle("off", !box.checked);
    });
  });

  // A point of the page in PDF points (the SVG's viewBox is the page in points).
  const pointOf = (svg, event) => {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  };

  document.querySelectorAll("svg.page").forEach((svg) => {
    let start = null;
    let drawing = null;
    svg.addEventListener("pointerdown", (event) => {
      start = pointOf(svg, event);
      drawing = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      drawing.setAttribute("class", "drawing");
      svg.appendChild(drawing);
      svg.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", (event) => {
      if (!start || !drawing) return;
      const here = pointOf(svg, event);
      drawing.setAttribute("x", Math.min(start.x, here.x));
      drawing.setAttribute("y", Math.min(start.y, here.y));
      drawing.setAttribute("width", Math.abs(here.x - start.x));
      drawing.setAttribute("height", Math.abs(here.y - start.y));
    });
    svg.addEventListener("pointerup", (event) => {
      if (!start || !drawing) return;
      const here = pointOf(svg, event);
      const x0 = Math.min(start.x, here.x), y0 = Math.min(start.y, here.y);
      const x1 = Math.max(start.x, here.x), y1 = Math.max(start.y, here.y);
      start = null;
      if (x1 - x0 < 2 || y1 - y0 < 2) {
        drawing.remove();
        drawing = null;
        return;
      }
      const line = `${svg.dataset.page}:${x0.toFixed(1)},${y0.toFixed(1)},${x1.toFixed(1)},${y1.toFixed(1)}`;
      add.value = (add.value.trim() ? add.value.trim() + "\n" : "") + line;
      drawing = null;
    });
  });
})();
