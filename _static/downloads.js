// The page's download button saves the source file (a chapter's notebook, with its
// outputs) under its own name, instead of opening it in a new tab, where a browser
// would show the notebook's JSON or a server's guess at its type.
document.addEventListener("DOMContentLoaded", () => {
  for (const link of document.querySelectorAll("a.btn-download-source-button")) {
    const name = decodeURIComponent(link.getAttribute("href").split("/").pop().split("?")[0]);
    link.setAttribute("download", name);
    link.removeAttribute("target");
  }
});
