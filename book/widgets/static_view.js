// The explorer's view in a page without a kernel: controls that switch between views
// computed when the book was built (book.widgets.explorer.static_view writes the data).
// Every .static-explorer element holds its data as JSON; this script wires its controls.
(function () {
  "use strict";

  function init(root) {
    if (root.dataset.ready === "1") return;
    const spec = JSON.parse(root.querySelector("script.static-explorer-data").textContent);
    const n = spec.controls.length;
    const inputs = spec.controls.map((_, c) => root.querySelector(`[data-control="${c}"]`));
    const readouts = spec.controls.map((_, c) => root.querySelector(`[data-readout="${c}"]`));
    const image = root.querySelector("img.static-explorer-figure");
    const status = root.querySelector(".static-explorer-status");
    let current = spec.frames[spec.start].setting.slice();

    // the values of control c that some frame offers, the other controls as in `setting`
    function available(c, setting) {
      const found = new Set();
      for (const frame of spec.frames) {
        if (frame.setting.every((v, k) => k === c || v === setting[k])) found.add(frame.setting[c]);
      }
      return [...found].sort((a, b) => a - b);
    }

    function same(a, b) {
      return a.length === b.length && a.every((v, i) => v === b[i]);
    }

    // the frame to show when control c moves to wanted[c]: the controls after c whose
    // choices change with it (a threshold per rule) start again from the first setting
    // listed, as the live explorer resets them; every other control keeps its value
    function frameFor(wanted, c) {
      const free = new Set();
      for (let k = c + 1; k < n; k++) {
        if (!same(available(k, current), available(k, wanted))) free.add(k);
      }
      const index = spec.frames.findIndex((frame) =>
        frame.setting.every((v, k) => free.has(k) || v === wanted[k]),
      );
      return index >= 0 ? index : spec.frames.findIndex((f) => f.setting[c] === wanted[c]);
    }

    function show(index) {
      const frame = spec.frames[index];
      current = frame.setting.slice();
      spec.controls.forEach((control, c) => {
        const input = inputs[c];
        const label = control.labels[current[c]];
        if (control.kind === "range") {
          const values = available(c, current);
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
      const moved = () => {
        const wanted = current.slice();
        wanted[c] =
          spec.controls[c].kind === "range"
            ? available(c, current)[Number(input.value)]
            : Number(input.value);
        if (wanted[c] !== current[c]) show(frameFor(wanted, c));
      };
      input.addEventListener("input", moved);
      input.addEventListener("change", moved);
    });
    show(spec.start);
    root.dataset.ready = "1";
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
