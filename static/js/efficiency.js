// 效能管理 charts (ECharts, vendored): the trend line and the distribution pie of the overview,
// the bars of the workload.  The data is in data-options (CSP: no inline script).
(function () {
  function option(kind, data) {
    if (kind === "line") {
      return {
        title: { text: "业务办理时间走势", left: "center", textStyle: { fontSize: 14 } },
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 20, top: 40, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: data.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "办理量", type: "line", smooth: true, data: data.trend }]
      };
    }
    if (kind === "pie") {
      return {
        title: { text: data.title, left: "center", textStyle: { fontSize: 14 } },
        tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        series: [{ name: data.title, type: "pie", radius: ["30%", "60%"], top: 30, data: data.distribution }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 20, bottom: 90, containLabel: true },
      xAxis: { type: "category", data: data.names, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    };
  }
  function draw(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = JSON.parse(el.getAttribute("data-options"));
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option(el.getAttribute("data-chart"), data), true);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
})();
