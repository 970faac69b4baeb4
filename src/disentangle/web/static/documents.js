// Documents: drop files on the upload form, follow a job's progress, and flash a fact's words when chosen.
(function () {
  "use strict";

  // ---- upload: drop files or a folder on the zone; they go into the form's file input
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("files");
  const chosen = document.getElementById("chosen");
  if (zone && input) {
    const describe = () => {
      const n = input.files ? input.files.length : 0;
      chosen.textContent = n ? `${n} file${n === 1 ? "" : "s"} chosen` : "";
    };
    input.addEventListener("change", describe);
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", async (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      const files = await droppedFiles(event.dataTransfer);
      const transfer = new DataTransfer();
      files.forEach((file) => transfer.items.add(file));
      input.files = transfer.files;
      describe();
    });
  }

  // A dropped folder arrives as one entry: walk it for its files.
  async function droppedFiles(data) {
    const entries = Array.from(data.items || [])
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
      .filter(Boolean);
    if (!entries.length) return Array.from(data.files || []);
    const out = [];
    const walk = async (entry) => {
      if (entry.isFile) {
        out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        let batch;
        do {
          batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
          for (const child of batch) await walk(child);
        } while (batch.length);
      }
    };
    for (const entry of entries) await walk(entry);
    return out.filter((file) => !file.name.startsWith("."));
  }

  // ---- job page: ask /api/jobs/{id} every second or two; show the results when it is over
  const job = document.getElementById("job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    const bar = document.getElementById("job-progress");
    const done = document.getElementById("job-done");
    const poll = async () => {
      try {
        const response = await fetch(`/api/jobs/${job.dataset.job}`, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const state = await response.json();
          bar.value = state.done;
          done.textContent = String(state.done);
          for (const file of state.files || []) {  // a scan read on workers: its pages as they are read
            const pages = document.getElementById(`ocr-${file.index}`);
            if (pages && file.ocr_total) {
              pages.hidden = false;
              pages.querySelector(".ocr-read").textContent = String(file.ocr_read);
              pages.querySelector(".ocr-total").textContent = String(file.ocr_total);
            }
          }
          if (state.status !== "queued" && state.status !== "running") {
            window.location.reload();  // the server renders each file's link or error
            return;
          }
        }
      } catch (error) {
        // the server restarting: try again on the next tick
      }
      window.setTimeout(poll, 1500);
    };
    window.setTimeout(poll, 800);
  }

  // ---- document page: a fact chosen in the list flashes every piece of its words
  const show = (number) => {
    document.querySelectorAll("mark.fact.current").forEach((m) => m.classList.remove("current", "flash"));
    const marks = Array.from(document.querySelectorAll("mark.fact")).filter((m) =>
      m.dataset.facts.split(" ").includes(number),
    );
    marks.forEach((m) => {
      m.classList.add("current");
      void m.offsetWidth;  // restart the animation
      m.classList.add("flash");
    });
    const target = document.getElementById(`fact-${number}`);
    if (target) target.focus({ preventScroll: true });
  };
  document.querySelectorAll(".fact-list a[data-fact]").forEach((link) => {
    link.addEventListener("click", () => window.setTimeout(() => show(link.dataset.fact), 0));
  });
  const fromHash = /^#fact-(\d+)$/.exec(window.location.hash);
  if (fromHash) show(fromHash[1]);
})();
