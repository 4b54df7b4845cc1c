// What the vendored widget manager needs, loaded before require.js and the manager
// (nb_ipywidgets_js in _config.yml) on the pages that show a widget, and only there
// (_ext/offline_pages.py).

// 1. Where require.js finds the manager: a global `require` object set before require.js
// loads is its configuration. The manager computes the address of its own files (icon
// fonts) from this path, so they load from _static/vendor/html-manager/.
var require = {
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL(
      "vendor/html-manager",
      document.currentScript.src,
    ).href,
  },
};

// 2. ipywidgets 8 typesets a widget's math with MathJax 2's call,
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, which
// has no Hub. This gives it one that typesets with MathJax 3 once MathJax has started.
// MathJax (a deferred script) has replaced window.MathJax by DOMContentLoaded, and this
// listener runs before the manager renders any widget.
document.addEventListener("DOMContentLoaded", () => {
  const mathjax = window.MathJax;
  if (!mathjax || mathjax.Hub || !mathjax.startup) return;
  mathjax.Hub = {
    Queue(...calls) {
      for (const call of calls) {
        if (Array.isArray(call) && call[0] === "Typeset") {
          const elements = call[2] ? [call[2]] : undefined;
          mathjax.startup.promise.then(() => mathjax.typesetPromise(elements));
        }
      }
    },
  };
});
