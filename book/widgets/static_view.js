// The explorer's view in a page without a kernel: controls that switch between views
// computed when the book was built (book.widgets.explorer.static_view writes the data).
// Every .static-explorer element holds its data as JSON; this script wires its controls.
(function () {
  "use strict";

  function matches(setting, current, skip) {
    for (let c = 0; c < current.length; c++) {
      if (c !== skip && setting[c] !== current[c]) return false;
    }
    return true;
  }

  function init(root) {
    if (root.dataset.ready === "1") return;
    root.dataset.ready = "1";
    const spec = JSON.parse(root.querySelector("script.static-explorer-data").textContent);
    const inputs = spec.controls.map((_, c) => root.querySelector(`[data-control="${c}"]`));
    const readouts = spec.controls.map((_, c) => root.querySelector(`[data-readout="${c}"]`));
    const image = root.querySelector("img.static-explorer-figure");
    const status = root.querySelector(".static-explorer-status");
    let current = spec.frames[spec.start].setting.slice();

    // the values of control c that some frame offers, the other controls as they are
    function available(c) {
      const found = new Set();
      for (const frame of spec.frames) {
        if (matches(frame.setting, current, c)) found.add(frame.setting[c]);
      }
      return [...found].sort((a, b) => a - b);
    }

    // the frame of a setting; if none, the first frame with control c at its new value
    // that agrees with the most other controls
    function frameFor(setting, c) {
      let best = -1;
      let bestScore = -1;
      spec.frames.forEach((frame, i) => {
        if (frame.setting[c] !== setting[c]) return;
        let score = 0;
        frame.setting.forEach((v, k) => {
          if (v === setting[k]) score += 1;
        });
        if (score > bestScore) {
          best = i;
          bestScore = score;
        }
      });
      return best;
    }

    function show(index) {
      const frame = spec.frames[index];
      current = frame.setting.slice();
      spec.controls.forEach((control, c) => {
        const input = inputs[c];
        const label = control.labels[current[c]];
        if (control.kind === "range") {
          const values = available(c);
          input.max = String(values.length - 1);
          input.value = String(values.indexOf(current[c]));
          input.setAttribute("aria-valuetext", label);
        } else {
          input.value = String(current[c]);
        }
        if (readouts[c]) readouts[c].textContent = label;
      });
      image.src = spec.images[frame.image];
      image.alt = frame.alt;
      status.textContent = frame.text;
      root.dataset.frame = String(index);
    }

    inputs.forEach((input, c) => {
      const handler = () => {
        const control = spec.controls[c];
        const wanted = current.slice();
        wanted[c] =
          control.kind === "range" ? available(c)[Number(input.value)] : Number(input.value);
        show(frameFor(wanted, c));
      };
      input.addEventListener("input", handler);
      input.addEventListener("change", handler);
    });
    show(spec.start);
  }

  function initAll() {
    document.querySelectorAll(".static-explorer").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
