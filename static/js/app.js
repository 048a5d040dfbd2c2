// Small behaviours without inline script (CSP: script-src 'self').
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
document.addEventListener("htmx:responseError", function (event) {
  var box = document.querySelector(".flashes") || document.createElement("div");
  box.className = "flashes";
  var p = document.createElement("p");
  p.className = "flash flash-error";
  var xhr = event.detail.xhr;
  var text = "操作未能完成（" + xhr.status + "）";
  var m = /<div class="flash flash-error"[^>]*>([^<]*)</.exec(xhr.responseText || "");
  if (m) { text = m[1]; }
  p.textContent = text;
  box.appendChild(p);
  var main = document.querySelector("main.page");
  if (main && !box.parentNode) { main.insertBefore(box, main.firstChild); }
});
