// The Act pages: fragments loaded into the place page, and the cost calculator's live results.
// Without this script every fragment is a link and the calculator a plain form; nothing is lost.
"use strict";

(function () {
  // ------------------------------------------------------------------ fragments (scorecard, requests)
  function loadFragments() {
    document.querySelectorAll("[data-fragment]").forEach(function (box) {
      fetch(box.getAttribute("data-fragment"), { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          // The server renders and escapes the fragment, like the page around it.
          box.innerHTML = html;
          box.removeAttribute("data-fragment");
          box.setAttribute("data-loaded", "");
        })
        .catch(function () { /* the link inside stays: it is the way without the fragment */ });
    });
  }

  // ------------------------------------------------------------------ cost calculator
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  function dollars(text) {
    return money.format(Number(text));
  }
  function percent(text) {
    return text === null || text === undefined ? "—" : (Number(text) * 100).toFixed(1) + "%";
  }
  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function row(cells, header) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell, index) {
      var td = element(index === 0 && header ? "th" : "td", cell.text, cell.className);
      if (index === 0 && header) td.setAttribute("scope", "row");
      tr.appendChild(td);
    });
    return tr;
  }
  function table(caption, head, rows, foot) {
    var wrap = element("div", null, "table-wrap");
    var t = document.createElement("table");
    t.appendChild(element("caption", caption));
    var thead = document.createElement("thead");
    var tr = document.createElement("tr");
    head.forEach(function (h) {
      var th = element("th", h.text, h.className);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tbody = document.createElement("tbody");
    rows.forEach(function (r) { tbody.appendChild(r); });
    t.appendChild(tbody);
    if (foot && foot.length) {
      var tfoot = document.createElement("tfoot");
      foot.forEach(function (r) { tfoot.appendChild(r); });
      t.appendChild(tfoot);
    }
    wrap.appendChild(t);
    return wrap;
  }
  function moneyRow(label, part, basis) {
    return row([
      { text: label }, { text: dollars(part.total), className: "num" },
      { text: dollars(part.federal), className: "num" }, { text: dollars(part.local), className: "num" },
      { text: basis || "", className: "muted" }
    ], true);
  }

  function showResult(box, data) {
    var e = data.estimate;
    box.replaceChildren();
    var title = element("h2", "Who pays: " + e.regime.label);
    title.id = "results-title";
    box.appendChild(title);
    var cards = element("dl", null, "cards shares");
    [["Federal share", percent(e.federal_share)], ["Local share", percent(e.local_share)],
     ["Federal pays", dollars(e.per_agreement.federal)], ["Locality pays", dollars(e.per_agreement.local)]]
      .forEach(function (pair) {
        var div = document.createElement("div");
        div.appendChild(element("dt", pair[0]));
        div.appendChild(element("dd", pair[1]));
        cards.appendChild(div);
      });
    box.appendChild(cards);
    var lines = e.lines.map(function (line) { return moneyRow(line.label, line, line.basis); });
    var foot = [moneyRow("Per agreement", e.per_agreement)];
    if (e.per_officer) foot.push(moneyRow("Per officer", e.per_officer));
    box.appendChild(table(
      "Cost over " + e.inputs.months + " months, line by line, in dollars",
      [{ text: "Cost" }, { text: "Total", className: "num" }, { text: "Federal", className: "num" },
       { text: "Local", className: "num" }, { text: "How" }],
      lines, foot));
    if (e.federal_in_kind) box.appendChild(element("p", "In kind: " + e.federal_in_kind));
    e.notes.forEach(function (note) { box.appendChild(element("p", note, "note")); });
    var s = data.sensitivity;
    if (s) {
      box.appendChild(element("h3", "Local share as benefits and overtime vary"));
      var rows = s.benefit_loads.map(function (load, i) {
        return row([{ text: percent(load) }].concat(s.local_shares[i].map(function (c) {
          return { text: percent(c), className: "num" };
        })), true);
      });
      box.appendChild(table(
        "Local share of the cost: rows are fringe benefits as a share of base salary, columns overtime pay as a share of base salary",
        [{ text: "Benefits \\ overtime" }].concat(s.overtime_shares.map(function (o) {
          return { text: percent(o), className: "num" };
        })), rows));
    }
    var sources = element("details");
    sources.appendChild(element("summary", "Sources of this regime (" + e.sources.length + ")"));
    var list = element("ul", null, "sources");
    e.sources.forEach(function (src) {
      list.appendChild(element("li", src.claim + " — " + src.citation + (src.quote ? ": “" + src.quote + "”" : "")));
    });
    sources.appendChild(list);
    box.appendChild(sources);
  }

  function showError(box, message) {
    box.replaceChildren();
    var title = element("h2", "The inputs need a change");
    title.id = "results-title";
    box.appendChild(title);
    var p = element("p", message, "error");
    p.setAttribute("role", "alert");
    box.appendChild(p);
  }

  function liveCost() {
    var form = document.getElementById("cost-form");
    var box = document.getElementById("cost-results");
    if (!form || !box) return;
    var timer = null;
    var asked = 0;
    function update() {
      var params = new URLSearchParams(new FormData(form));
      if (!params.get("regime")) return;
      var mine = ++asked;
      fetch("/api/cost?" + params.toString(), { credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          if (mine !== asked) return; // a newer question was asked meanwhile
          if (answer.ok) showResult(box, answer.body);
          else showError(box, answer.body.error || "the calculator could not price these inputs");
          box.setAttribute("data-live", String(mine));
          history.replaceState(null, "", "/act/cost?" + params.toString());
        })
        .catch(function () { /* the Calculate button still works */ });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    });
    form.addEventListener("change", function () {
      clearTimeout(timer);
      update();
    });
  }

  function start() {
    loadFragments();
    liveCost();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
