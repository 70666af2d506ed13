// The portal's one chart component (core/charts.py, templates/components/chart.html):
// draws every <canvas data-chart="<id of its JSON block>"> with Chart.js, which is loaded
// only when the page has a chart. Nothing inline: the strict CSP allows neither inline
// scripts nor inline styles (Chart.js sets its few styles through the CSSOM).
(() => {
  const script = document.currentScript;
  const libraryUrl = script && script.dataset.chartLibrary;
  let loading = null;

  function loadLibrary() {
    if (window.Chart) {
      return Promise.resolve(window.Chart);
    }
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const tag = document.createElement("script");
        tag.src = libraryUrl;
        tag.onload = () => resolve(window.Chart);
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  // Figures read as in the table beside the chart (core.formatting): grouped with the page
  // language's own separators, which the chart's data block carries (Intl would group
  // English as 12,345 where the tables write 12 345), and money as the amount, then the ISO
  // code: "12 345 SEK", "12 345,50 SEK" — never a local symbol ("kr", "€") the tables do
  // not use. Whole amounts without decimals, others with two, as format_money does.
  function formatter(spec) {
    const thousands = spec.thousandSeparator ?? "";
    const decimal = spec.decimalSeparator ?? ".";
    const number = (value, decimals) => {
      const digits = Math.abs(value).toFixed(decimals);
      const [whole, fraction] = digits.split(".");
      const sign = value < 0 && Number(digits) !== 0 ? "-" : "";
      return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, thousands)}${fraction ? decimal + fraction : ""}`;
    };
    if (!spec.unit || spec.unit === "points") {
      return (value) => number(value, 0);
    }
    return (value) => `${number(value, Number.isInteger(value) ? 0 : 2)}\u00a0${spec.unit}`;
  }

  // A line before the marked label and a light band after it (a campaign's start).
  const markerPlugin = {
    id: "portalMarker",
    beforeDatasetsDraw(chart, _args, options) {
      if (options.index === null || options.index === undefined) {
        return;
      }
      const { ctx, chartArea, scales } = chart;
      const x = scales.x.getPixelForValue(options.index);
      const previous = options.index > 0 ? scales.x.getPixelForValue(options.index - 1) : x;
      const left = options.index > 0 ? (x + previous) / 2 : x;
      ctx.save();
      ctx.fillStyle = "rgba(25, 135, 84, 0.08)";
      ctx.fillRect(left, chartArea.top, chartArea.right - left, chartArea.bottom - chartArea.top);
      ctx.strokeStyle = "#198754";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(left, chartArea.top);
      ctx.lineTo(left, chartArea.bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  function draw(Chart, canvas) {
    if (canvas.dataset.chartDrawn) {
      return;
    }
    const block = document.getElementById(canvas.dataset.chart);
    if (!block) {
      return;
    }
    const spec = JSON.parse(block.textContent);
    const format = formatter(spec);
    canvas.dataset.chartDrawn = "1";
    new Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map((series) => ({
          type: series.kind,
          label: series.label,
          data: series.values,
          backgroundColor: series.color,
          borderColor: series.color,
          borderWidth: series.kind === "line" ? 2 : 0,
          pointRadius: series.kind === "line" ? 2 : 0,
          tension: 0,
          spanGaps: false,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: spec.stacked, grid: { display: false } },
          y: { stacked: spec.stacked, beginAtZero: true, ticks: { callback: (value) => format(value), maxTicksLimit: 5 } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.parsed.y)}` } },
          portalMarker: { index: spec.marker },
        },
      },
      plugins: [markerPlugin],
    });
  }

  function drawAll(root) {
    const canvases = (root || document).querySelectorAll("canvas[data-chart]");
    if (!canvases.length) {
      return;
    }
    loadLibrary().then((Chart) => canvases.forEach((canvas) => draw(Chart, canvas)));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => drawAll());
  } else {
    drawAll();
  }
  // Panels swapped in by htmx (the member dashboard's live panels).
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
})();
