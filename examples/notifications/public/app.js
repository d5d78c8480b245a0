// The notifications page: sign in with a dev token, receive notifications
// (toasts and a list), show the unread count, acknowledge reads.
// Every piece of server text goes into the page with textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOAST_MS = 6000;
  const ACK_TIMEOUT_MS = 5000;

  const state = {
    user: null,
    token: null,
    socket: null,
    version: 0, // newest unread state applied (the server numbers them)
    unreadIds: new Set(),
    items: new Map(), // id -> { notification, read, li }
  };

  // ---- server calls -----------------------------------------------------------

  async function fetchToken(user) {
    const res = await fetch(`/api/dev-token?user=${encodeURIComponent(user)}`, { cache: "no-store" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
    return body.token;
  }

  function markRead(payload) {
    return new Promise((resolve, reject) => {
      if (!state.socket?.connected) return reject(new Error("not connected"));
      state.socket.timeout(ACK_TIMEOUT_MS).emit("mark-read", payload, (err, res) => {
        if (err) return reject(new Error("the server did not answer"));
        if (!res || !res.ok) return reject(new Error(res?.error || "refused"));
        resolve(res);
      });
    });
  }

  // ---- unread state -----------------------------------------------------------

  /** Applies {count, ids, version} unless a newer state was applied already. */
  function applyUnread(s) {
    if (!s || typeof s.version !== "number" || s.version <= state.version) return;
    state.version = s.version;
    setBadge(s.count);
    if (Array.isArray(s.ids)) {
      state.unreadIds = new Set(s.ids);
      for (const [id, item] of state.items) setRead(item, !state.unreadIds.has(id));
    }
  }

  function setBadge(count) {
    const badge = $("badge");
    badge.textContent = String(count);
    badge.classList.toggle("zero", count === 0);
    document.title = count > 0 ? `(${count}) Notifications · socketio-cpp` : "Notifications · socketio-cpp";
  }

  // ---- the list ---------------------------------------------------------------

  function formatTime(ts) {
    const d = new Date(ts);
    return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString();
  }

  function addItem(n, read) {
    if (!n || typeof n.id !== "string" || state.items.has(n.id)) return;
    const li = document.createElement("li");
    li.className = "item";
    li.dataset.id = n.id;

    const text = document.createElement("div");
    text.className = "item-text";
    const title = document.createElement("strong");
    title.className = "item-title";
    title.textContent = String(n.title ?? "");
    const body = document.createElement("p");
    body.className = "item-body";
    body.textContent = String(n.body ?? "");
    const time = document.createElement("time");
    time.className = "item-time";
    time.textContent = formatTime(n.ts);
    if (typeof n.ts === "number") time.dateTime = new Date(n.ts).toISOString();
    text.append(title, body, time);

    const button = document.createElement("button");
    button.type = "button";
    button.className = "mark-read";
    button.textContent = "Mark as read";
    const item = { notification: n, read: false, li, button };
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const res = await markRead({ id: n.id });
        setRead(item, true);
        if (typeof res.version === "number" && res.version > state.version) {
          state.version = res.version;
          state.unreadIds.delete(n.id);
          setBadge(res.unread);
        }
      } catch (err) {
        button.disabled = false;
        showToast({ title: "Could not mark as read", body: err.message }, "toast-error");
      }
    });

    li.append(text, button);
    state.items.set(n.id, item);
    setRead(item, read);
    // Newest first.
    const list = $("list");
    const later = [...list.children].find((other) => Number(other.dataset.ts) < (n.ts ?? 0));
    li.dataset.ts = String(n.ts ?? 0);
    list.insertBefore(li, later ?? null);
    $("empty").hidden = true;
  }

  function setRead(item, read) {
    item.read = read;
    item.li.classList.toggle("read", read);
    item.button.disabled = read;
    item.button.textContent = read ? "Read" : "Mark as read";
  }

  function clearList() {
    state.items.clear();
    $("list").replaceChildren();
    $("empty").hidden = false;
  }

  // ---- toasts -----------------------------------------------------------------

  function showToast(n, extraClass) {
    const toast = document.createElement("div");
    toast.className = extraClass ? `toast ${extraClass}` : "toast";
    toast.setAttribute("role", "status");
    const title = document.createElement("strong");
    title.textContent = String(n.title ?? "");
    const body = document.createElement("span");
    body.textContent = String(n.body ?? "");
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());
    toast.append(title, body, close);
    $("toasts").append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  }

  // ---- connection ---------------------------------------------------------------

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = `status status-${kind}`;
  }

  function showSignedIn(signedIn) {
    $("signin").hidden = signedIn;
    $("inbox").hidden = !signedIn;
  }

  function showCurl(user) {
    const payload = JSON.stringify({ user, title: "Hello", body: "Sent with curl" });
    $("curl").textContent =
      `curl -X POST ${location.origin}/api/notify \\\n` +
      `  -H "x-api-key: $NOTIFY_API_KEY" -H "content-type: application/json" \\\n` +
      `  -d '${payload}'`;
  }

  async function signIn(user) {
    $("signin-error").hidden = true;
    $("signin-button").disabled = true;
    try {
      state.token = await fetchToken(user);
    } catch (err) {
      $("signin-error").textContent = `Sign-in failed: ${err.message}`;
      $("signin-error").hidden = false;
      return;
    } finally {
      $("signin-button").disabled = false;
    }
    state.user = user;
    state.version = 0;
    state.unreadIds = new Set();
    clearList();
    setBadge(0);
    $("who").textContent = user;
    showCurl(user);
    showSignedIn(true);
    sessionStorage.setItem("notify-user", user);
    setStatus("connecting…", "wait");

    // auth as a function: every (re)connection sends the current token.
    const socket = io({ auth: (cb) => cb({ token: state.token }) });
    state.socket = socket;

    socket.on("connect", () => {
      setStatus("connected", "on");
      socket.timeout(ACK_TIMEOUT_MS).emit("list-unread", (err, res) => {
        if (err || !res || !Array.isArray(res.items)) return;
        for (const n of res.items) addItem(n, false);
        applyUnread({ count: res.count, ids: res.items.map((n) => n.id), version: res.version });
      });
    });
    socket.on("disconnect", (reason) => {
      setStatus(reason === "io client disconnect" ? "signed out" : "reconnecting…", "wait");
    });
    socket.on("connect_error", async (err) => {
      // A refusal by the server's middleware: the client will not retry by itself.
      if (err.message === "token expired" && state.socket === socket) {
        setStatus("renewing token…", "wait");
        try {
          state.token = await fetchToken(user);
          socket.connect();
          return;
        } catch {
          // fall through
        }
      }
      setStatus(socket.active ? "reconnecting…" : `refused: ${err.message}`, socket.active ? "wait" : "error");
    });
    socket.on("notification", (n) => {
      addItem(n, false);
      showToast(n);
    });
    socket.on("unread", applyUnread);
  }

  function signOut() {
    state.socket?.disconnect();
    state.socket = null;
    state.user = null;
    state.token = null;
    sessionStorage.removeItem("notify-user");
    clearList();
    setBadge(0);
    showSignedIn(false);
    setStatus("signed out", "off");
  }

  // ---- wiring ---------------------------------------------------------------------

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const user = $("user").value.trim();
    if (user) signIn(user);
  });
  $("signout").addEventListener("click", signOut);
  $("mark-all").addEventListener("click", async () => {
    const button = $("mark-all");
    button.disabled = true;
    try {
      const res = await markRead({ all: true });
      for (const item of state.items.values()) setRead(item, true);
      if (typeof res.version === "number" && res.version > state.version) {
        state.version = res.version;
        state.unreadIds = new Set();
        setBadge(res.unread);
      }
    } catch (err) {
      showToast({ title: "Could not mark all as read", body: err.message }, "toast-error");
    } finally {
      button.disabled = false;
    }
  });

  const remembered = sessionStorage.getItem("notify-user");
  if (remembered) {
    $("user").value = remembered;
    signIn(remembered);
  }
})();
