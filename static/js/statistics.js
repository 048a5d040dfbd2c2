// 抽查统计 charts (ECharts, vendored).  The data is in data-options (CSP: no inline script);
// drawn on load and again after htmx swaps the results.
(function () {
  function draw(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = JSON.parse(el.getAttribute("data-options"));
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      if (el.getAttribute("data-chart") === "bar") {
        chart.setOption({
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 40, right: 20, bottom: 90, containLabel: true },
          xAxis: { type: "category", data: data.names, axisLabel: { rotate: 30, interval: 0 } },
          yAxis: { type: "value", minInterval: 1 },
          series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
        }, true);
      } else {
        chart.setOption({
          tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
          series: [{ name: "检查结果", type: "pie", radius: ["30%", "65%"], data: data.categories }]
        }, true);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt || document); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
})();
