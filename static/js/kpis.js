// KPI pages: turn the info buttons into Bootstrap tooltips (the title
// attribute already works without JavaScript).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.bootstrap) {
    return;
  }
  document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (element) {
    new window.bootstrap.Tooltip(element);
  });
});
