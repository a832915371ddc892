/* The screens before the install runs: welcome, license, flavor, nodes, settings, checks, done.
Each reads the engine's snapshot; answers are sent to the engine, which validates them. */
"use strict";

(function () {
  const {$, el, api} = Wizard;
  const ORDER = ["welcome", "eula", "flavor", "nodes", "settings", "checks", "progress", "done"];
  const snap = () => Wizard.state.snapshot || {};
  const bundle = () => snap().bundle || {};
  const answers = () => snap().answers || {};
  let current = null;

  function applicable() {
    return ORDER.filter((name) => (name !== "eula" || bundle().eula) &&
      (name !== "flavor" || (bundle().flavors || []).length > 1));
  }

  /* Where a fresh page lands: the install's own state decides once it has started. */
  function landing() {
    const plan = snap().plan || {};
    const status = (snap().operation || {}).status;
    if (plan.state === "completed") return "done";
    if (status === "running" || status === "failed" || (plan.state && plan.state !== "unstarted")) return "progress";
    return "welcome";
  }

  function show(name) {
    current = name;
    const names = applicable();
    for (const id of ORDER) $("screen-" + id).hidden = id !== name;
    const steps = $("steps");
    steps.replaceChildren(...names.map((id, i) => el("li", {
      class: id === name ? "current" : (i < names.indexOf(name) ? "visited" : null),
      "aria-current": id === name ? "step" : null,
    }, $("screen-" + id).dataset.title)));
    Wizard.notice("");
    (ENTER[name] || (() => {}))();
    const heading = $("screen-" + name).querySelector("h1");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  function step(delta) {
    const names = applicable();
    show(names[Math.max(0, names.indexOf(current) + delta)]);
  }

  function renderWelcome() {
    const b = bundle();
    $("app-name").textContent = b.name || "Application";
    $("app-version").textContent = b.version ? "version " + b.version : "";
    document.title = (b.name || "Application") + " installer";
    for (const img of [$("logo"), $("welcome-logo")]) {
      if (b.logo) { img.src = b.logo; img.hidden = false; }
    }
    $("welcome-logo").alt = (b.name || "Application") + " logo";
    $("welcome-name").textContent = [b.name, b.version].filter(Boolean).join(" ");
    $("welcome-description").textContent = b.description || "";
    $("release-notes").textContent = b.release_notes || "No release notes.";
    $("eula-text").textContent = b.eula || "";
  }

  function renderFlavors() {
    const b = bundle();
    $("flavor-prompt").textContent = b.prompt || "Choose a cluster size";
    $("flavor-list").replaceChildren(...(b.flavors || []).map((f) => {
      const nodes = (f.nodes || []).map((n) => n.count + " × " + n.profile).join(", ");
      return el("label", {class: "choice"},
        el("input", {type: "radio", name: "flavor", value: f.name, checked: f.name === answers().flavor}),
        el("span", {}, el("strong", {}, f.name), f.description || "", el("span", {class: "help"}, " (" + nodes + ")")));
    }));
  }

  async function submitFlavor(e) {
    e.preventDefault();
    const chosen = document.querySelector("input[name=flavor]:checked");
    const problem = $("flavor-problem");
    problem.hidden = true;
    if (!chosen) { problem.textContent = "Choose one of the cluster sizes."; problem.hidden = false; return; }
    const result = await api("/api/answers", {flavor: chosen.value, profile: null});
    if (result.ok) { Wizard.state.snapshot = result.body; step(1); return; }
    problem.textContent = problemText(result.body);
    problem.hidden = false;
  }

  function renderNodes() {
    const nodes = snap().nodes || [];
    $("node-rows").replaceChildren(...nodes.map((n, i) => el("tr", {},
      el("td", {}, n.name + (i === 0 ? " (this host)" : "")), el("td", {}, n.address || ""),
      el("td", {}, n.profile || ""), el("td", {}, profileText(n.profile)))));
    const flavor = (bundle().flavors || []).find((f) => f.name === answers().flavor) || {nodes: []};
    const missing = flavor.nodes.map((n) => ({profile: n.profile,
      count: n.count - nodes.filter((x) => x.profile === n.profile).length})).filter((n) => n.count > 0);
    const commands = (snap().join || {}).commands || {};
    $("join-help").replaceChildren(...missing.map((n) => el("div", {class: "join"},
      el("p", {}, `The ${flavor.name} cluster also needs ${n.count} ${n.profile} node(s). On each, as root, ` +
        "from the unpacked bundle, run:"),
      el("pre", {}, el("code", {}, commands[n.profile] || "(choose the cluster size again to get the command)")))));
    Wizard.ssh.show(flavor, missing);
  }

  function profileText(name) {
    const profile = (bundle().profiles || []).find((p) => p.name === name);
    return profile ? profile.description : "";
  }

  function renderSettings() {
    const a = answers();
    for (const key of ["advertise-addr", "pod-cidr", "service-cidr"]) {
      $(key).value = a[key] || "";
      clearProblem(key);
    }
    $("settings-problem").hidden = true;
    const addresses = (snap().host || {}).addresses || [];
    $("host-addresses").replaceChildren(...addresses.map((x) => el("option", {value: x})));
  }

  function clearProblem(key) {
    $(key).removeAttribute("aria-invalid");
    $(key + "-problem").hidden = true;
  }

  function problemText(body) {
    const problems = body.problems || [];
    return problems.length ? problems.map((p) => p.path + ": " + p.message).join("; ") : Wizard.refusal(body);
  }

  /* Every problem the engine found is shown next to its field; the first such field gets focus. */
  async function submitSettings(e) {
    e.preventDefault();
    const keys = ["advertise-addr", "pod-cidr", "service-cidr"];
    const changes = Object.fromEntries(keys.map((k) => [k, $(k).value.trim()]));
    keys.forEach(clearProblem);
    const result = await api("/api/answers", changes);
    if (result.ok) { Wizard.state.snapshot = result.body; step(1); return; }
    const other = [];
    for (const p of result.body.problems || []) {
      if (!keys.includes(p.path)) { other.push(p.path + ": " + p.message); continue; }
      const box = $(p.path + "-problem");
      box.textContent = box.hidden ? p.message : box.textContent + " " + p.message;
      box.hidden = false;
      $(p.path).setAttribute("aria-invalid", "true");
    }
    const general = $("settings-problem");
    general.textContent = other.join("; ") || (result.body.problems ? "" : Wizard.refusal(result.body));
    general.hidden = !general.textContent;
    const first = keys.find((k) => $(k).getAttribute("aria-invalid"));
    if (first) $(first).focus();
  }

  Wizard.screens = {landing, show, applicable, problemText, get current() { return current; }};
  const ENTER = {
    welcome: renderWelcome, flavor: renderFlavors, nodes: renderNodes, settings: renderSettings,
    checks: () => Wizard.checks.run(), progress: () => Wizard.progress.seed(), done: () => Wizard.done(),
  };

  Wizard.screens.nodeEvent = async function () {
    await Wizard.refresh();
    if (current === "nodes") renderNodes();
  };

  Wizard.screens.init = function () {
    renderWelcome();
    document.querySelectorAll("[data-next]").forEach((b) => b.addEventListener("click", () => step(1)));
    document.querySelectorAll("[data-back]").forEach((b) => b.addEventListener("click", () => step(-1)));
    $("eula-accept").addEventListener("change", async (e) => {
      $("eula-next").disabled = !e.target.checked;
      /* Saved with the answers, so a replay of them headless accepts the licence too. */
      const result = await api("/api/answers", {"accept-eula": e.target.checked});
      if (result.ok) Wizard.state.snapshot = result.body;
    });
    $("flavor-form").addEventListener("submit", submitFlavor);
    $("settings-form").addEventListener("submit", submitSettings);
    Wizard.checks.init();
    Wizard.ssh.init();
  };

  Wizard.done = function () {
    const s = snap();
    const endpoints = s.endpoints || [];
    $("done-summary").textContent = `${bundle().name || "The application"} ${bundle().version || ""} is installed.`;
    $("endpoints").replaceChildren(...(endpoints.length ? endpoints.map((e) => el("li", {},
      e.url ? el("a", {href: e.url}, e.name + ": " + e.url) : e.name + (e.address ? ": " + e.address : ""),
      e.description ? " — " + e.description : "")) : [el("li", {}, "The application declares no endpoints.")]));
    $("kubeconfig").textContent = s.kubeconfig || "";
    $("log-path").textContent = s.log || "";
    $("status-command").textContent = (s.installer || "./install") + " status";
    $("answers-path").textContent = s.answers_file || "";
    $("replay-command").textContent = "./install --cli --config " + (s.answers_file || "answers.yaml");
  };

})();
