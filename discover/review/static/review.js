// Keyboard-first review. Loaded from the package (no CDN); the page's CSP forbids inline
// scripts, so everything is wired here. Text from the server is only ever set with
// textContent: nothing the server sends is parsed as HTML.
(function () {
  "use strict";

  const token = document.querySelector('meta[name="csrf-token"]').content;
  const cards = Array.from(document.querySelectorAll(".card"));
  const chooser = document.getElementById("chooser");
  const reasonText = document.getElementById("reason-text");
  const message = document.getElementById("message");
  const decidedEl = document.getElementById("decided");
  let current = -1;
  let mode = null;            // null | "reason" | "type"
  let queue = Promise.resolve();   // requests go out one at a time, in key order

  function say(text) { message.textContent = text || ""; }

  function select(i) {
    if (!cards.length) return;
    i = Math.max(0, Math.min(cards.length - 1, i));
    if (current >= 0 && cards[current]) cards[current].classList.remove("current");
    current = i;
    const card = cards[current];
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function undecided(card) {
    const s = card.dataset.status;
    return s !== "approved" && s !== "rejected";
  }

  function nextUndecided(from) {
    for (let i = from + 1; i < cards.length; i++) if (undecided(cards[i])) return i;
    return Math.min(from + 1, cards.length - 1);
  }

  function countDecided() {
    decidedEl.textContent = String(cards.filter((c) => !undecided(c)).length);
  }

  // A decision is about the site: every card of that site (one per niche) shows it.
  function sameSite(card) {
    return cards.filter((c) => c.dataset.domain === card.dataset.domain);
  }

  function show(state) {
    const card = document.getElementById("card-" + state.key);
    if (!card) return null;
    card.classList.remove("pending");
    sameSite(card).forEach((c) => {
      c.dataset.status = state.status || "";
      c.querySelector('[data-role="status"]').textContent = state.status || "to review";
      c.querySelector('[data-role="reason"]').textContent = state.reason || "";
    });
    card.querySelector('[data-role="type"]').textContent = state.type;
    card.querySelector('[data-role="corrected"]').hidden = !state.corrected;
    countDecided();
    return card;
  }

  function post(path, body) {
    const run = () => fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body || {}),
    }).then((r) => r.json().then((data) => {
      if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
      return data;
    }));
    const p = queue.then(run);
    queue = p.catch(() => {});
    return p;
  }

  function fail(card) {
    return (err) => {
      if (card) card.classList.remove("pending");
      say("not saved: " + err.message);
    };
  }

  function decide(decision, reason) {
    const card = cards[current];
    if (!card) return;
    card.classList.add("pending");
    // Optimistic: the cursor moves on at once; the cards are marked for good when the server confirms.
    const before = sameSite(card).map((c) => [c, c.dataset.status]);
    before.forEach(([c]) => { c.dataset.status = decision; });
    countDecided();
    select(nextUndecided(current));
    post("/api/decide", { key: card.dataset.key, decision: decision, reason: reason || "" })
      .then((state) => { show(state); say(state.status + ": " + card.dataset.domain); })
      .catch((err) => { before.forEach(([c, s]) => { c.dataset.status = s; }); countDecided(); fail(card)(err); });
  }

  function retype(type) {
    const card = cards[current];
    if (!card) return;
    card.classList.add("pending");
    post("/api/retype", { key: card.dataset.key, type: type })
      .then((state) => { show(state); say("type: " + state.type); })
      .catch(fail(card));
  }

  function undo() {
    post("/api/undo", {})
      .then((state) => {
        if (state.nothing) { say("nothing to undo"); return; }
        const card = show(state);
        if (card) select(cards.indexOf(card));
        say("undone");
      })
      .catch(fail(null));
  }

  function openChooser(which) {
    if (!cards.length) return;
    mode = which;
    chooser.hidden = false;
    chooser.querySelectorAll(".panel").forEach((p) => { p.hidden = p.dataset.panel !== which; });
    if (which === "reason") reasonText.value = "";
  }

  function closeChooser() {
    mode = null;
    chooser.hidden = true;
    if (document.activeElement === reasonText) reasonText.blur();
    if (cards[current]) cards[current].focus({ preventScroll: true });
  }

  function choose(value) {
    const which = mode;
    closeChooser();
    if (which === "reason") decide("rejected", value);
    else if (which === "type") retype(value);
  }

  function options() {
    return Array.from(chooser.querySelector('.panel[data-panel="' + mode + '"]').querySelectorAll("button"));
  }

  chooser.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-value]");
    if (button) choose(button.dataset.value);
  });

  reasonText.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && reasonText.value.trim()) { ev.preventDefault(); choose(reasonText.value.trim()); }
    else if (ev.key === "Escape") { ev.preventDefault(); closeChooser(); }
    ev.stopPropagation();
  });

  cards.forEach((card, i) => card.addEventListener("click", () => select(i)));

  const filters = document.getElementById("filters");
  filters.addEventListener("change", () => filters.submit());

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (mode) {
      if (ev.key === "Escape") { ev.preventDefault(); closeChooser(); return; }
      const n = parseInt(ev.key, 10);
      const opts = options();
      if (n >= 1 && n <= opts.length) { ev.preventDefault(); choose(opts[n - 1].dataset.value); return; }
      if (mode === "reason" && ev.key.length === 1) reasonText.focus();   // the key types into the box
      return;
    }
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (ev.key === "Escape") { ev.target.blur(); select(Math.max(current, 0)); }
      return;
    }
    switch (ev.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "a": decide("approved"); break;
      case "r": openChooser("reason"); break;
      case "t": openChooser("type"); break;
      case "u": undo(); break;
      case "f": filters.querySelector("select, input").focus(); break;
      default: return;
    }
    ev.preventDefault();
  });

  if (cards.length) {
    const first = cards.findIndex(undecided);
    select(first >= 0 ? first : 0);
  }
  document.body.dataset.ready = "1";
})();
