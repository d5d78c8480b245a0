// The chat page. Talks to the C++ server with the socket.io-client bundle
// served at /vendor/ (README.md beside this folder documents every event).
// Everything a user typed reaches the page through textContent only, never
// innerHTML.
(() => {
  "use strict";

  const MAX_NAME = 32; // code points, as the server counts
  const MAX_TEXT = 2000; // code points
  const ROOM_NAME = /^#[a-z0-9-]{1,32}$/;
  const DEFAULT_ROOMS = ["#general"];
  const TYPING_RESEND_MS = 2000; // while typing, tell the room again this often
  const TYPING_SHOW_MS = 3000; // others' "typing" lines clear after this without news
  const ACK_TIMEOUT_MS = 10000;
  const KEEP_MESSAGES = 300; // per room, in the page
  const NOTICE_MS = 5000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    loginView: $("login-view"),
    loginForm: $("login-form"),
    loginName: $("login-name"),
    loginError: $("login-error"),
    loginSubmit: $("login-submit"),
    chatView: $("chat-view"),
    status: $("status"),
    meName: $("me-name"),
    logout: $("logout"),
    roomList: $("room-list"),
    roomForm: $("room-form"),
    roomInput: $("room-input"),
    roomError: $("room-error"),
    roomTitle: $("room-title"),
    leaveRoom: $("leave-room"),
    notice: $("notice"),
    emptyState: $("empty-state"),
    messages: $("messages"),
    typing: $("typing"),
    composer: $("composer"),
    input: $("message-input"),
    counter: $("counter"),
    send: $("send"),
    presenceCount: $("presence-count"),
    presenceList: $("presence-list"),
  };

  /** Length in code points (what the server limits), not UTF-16 units. */
  const length = (text) => [...text].length;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  // A token that lets this tab take its own name back after a network drop,
  // even before the server has noticed the old connection is dead. Kept for
  // the tab's lifetime (sessionStorage), never shared with other tabs.
  function sessionToken() {
    let token = sessionStorage.getItem("chat.session");
    if (!token) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      sessionStorage.setItem("chat.session", token);
    }
    return token;
  }

  function savedRooms() {
    try {
      const rooms = JSON.parse(sessionStorage.getItem("chat.rooms") || "null");
      if (Array.isArray(rooms)) return rooms.filter((r) => typeof r === "string" && ROOM_NAME.test(r));
    } catch {
      // ignore a corrupt entry
    }
    return null;
  }

  // ---- state ------------------------------------------------------------------

  const state = {
    name: null, // our nickname once the server accepted it
    wantedName: null, // the nickname being tried
    connectedOnce: false, // since the last sign-in
    rooms: new Map(), // room name -> Room
    roomList: [], // every room on the server
    roomListVersion: -1,
    joined: [], // the rooms we are in, in the order we joined them (rejoined after a reconnection)
    active: null, // the room on screen
    localSeq: 0,
    typingSentAt: 0,
    typingRoom: null,
    noticeTimer: null,
  };

  function room(name) {
    let r = state.rooms.get(name);
    if (!r) {
      r = {
        name,
        joined: false,
        messages: [], // sorted by position
        ids: new Set(), // server ids of the messages held
        users: [],
        version: -1, // of the presence list held
        typing: new Map(), // name -> timer
        unread: 0,
      };
      state.rooms.set(name, r);
    }
    return r;
  }

  function lastId(r) {
    for (let i = r.messages.length - 1; i >= 0; i--) {
      if (r.messages[i].id !== undefined) return r.messages[i].id;
    }
    return 0;
  }

  // Messages are ordered by the server's ids. Lines that have none yet (our
  // pending messages, system lines) sit right after the newest message known
  // when they were added.
  function nextLocalPosition(r) {
    state.localSeq += 1;
    return lastId(r) + 1 - 1 / (state.localSeq + 1);
  }

  function insertLine(r, line) {
    let i = r.messages.length;
    while (i > 0 && r.messages[i - 1].position > line.position) i--;
    r.messages.splice(i, 0, line);
    if (r.messages.length > KEEP_MESSAGES) {
      for (const dropped of r.messages.splice(0, r.messages.length - KEEP_MESSAGES)) {
        if (dropped.id !== undefined) r.ids.delete(dropped.id);
      }
    }
  }

  /** A message from the server (history or live); repeated ids are dropped. */
  function addServerMessage(r, message) {
    if (typeof message !== "object" || message === null || r.ids.has(message.id)) return false;
    r.ids.add(message.id);
    insertLine(r, {
      kind: "message",
      id: message.id,
      position: message.id,
      from: String(message.from),
      text: String(message.text),
      ts: Number(message.ts),
      mine: message.from === state.name,
      status: "sent",
    });
    return true;
  }

  function addSystemLine(r, text) {
    insertLine(r, { kind: "system", position: nextLocalPosition(r), text, ts: Date.now() });
  }

  function clearTyping(r, name) {
    const timer = r.typing.get(name);
    if (timer === undefined) return;
    clearTimeout(timer);
    r.typing.delete(name);
    if (r.name === state.active) renderTyping();
  }

  function applyPresence(r, users, version, announce) {
    if (!Array.isArray(users) || typeof version !== "number" || version <= r.version) return;
    if (announce && r.version >= 0) {
      const before = new Set(r.users);
      const after = new Set(users);
      for (const u of users) if (!before.has(u) && u !== state.name) addSystemLine(r, `${u} joined`);
      for (const u of r.users) if (!after.has(u) && u !== state.name) addSystemLine(r, `${u} left`);
    }
    r.users = users.map(String);
    r.version = version;
    for (const name of [...r.typing.keys()]) if (!users.includes(name)) clearTyping(r, name);
  }

  // ---- rendering ------------------------------------------------------------------

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const lineNodes = new WeakMap(); // line object -> <li>

  function lineNode(line) {
    let node = lineNodes.get(line);
    if (!node) {
      if (line.kind === "system") {
        node = element("li", "line system", line.text);
      } else {
        node = element("li", "line message");
        const meta = element("div", "meta");
        meta.append(element("span", "author", line.from));
        const time = element("time", "time");
        meta.append(time);
        meta.append(element("span", "mark"));
        node.append(meta, element("div", "text", line.text));
      }
      lineNodes.set(line, node);
    }
    if (line.kind === "message") {
      node.classList.toggle("mine", line.mine);
      node.dataset.status = line.status;
      if (line.id !== undefined) node.dataset.id = String(line.id);
      const time = node.querySelector(".time");
      const when = new Date(line.ts);
      time.dateTime = when.toISOString();
      time.textContent = timeFormat.format(when);
      const mark = node.querySelector(".mark");
      if (line.mine) {
        mark.textContent = line.status === "sent" ? "✓ sent" : line.status === "pending" ? "sending…" : `✗ not sent: ${line.error}`;
        mark.title = line.status;
      } else {
        mark.textContent = "";
      }
    }
    return node;
  }

  function renderMessages({ scroll = false } = {}) {
    const r = state.active ? state.rooms.get(state.active) : null;
    const list = ui.messages;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    list.replaceChildren(...(r ? r.messages.map(lineNode) : []));
    if (scroll || nearBottom) list.scrollTop = list.scrollHeight;
  }

  function renderTyping() {
    const r = state.active ? state.rooms.get(state.active) : null;
    const names = r ? [...r.typing.keys()].filter((n) => n !== state.name) : [];
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names.length} people are typing…`;
    ui.typing.textContent = text;
  }

  function renderPresence() {
    const r = state.active ? state.rooms.get(state.active) : null;
    const users = r ? r.users : [];
    ui.presenceCount.textContent = r ? `(${users.length})` : "";
    ui.presenceList.replaceChildren(
      ...users.map((name) => {
        const li = element("li", name === state.name ? "user self" : "user");
        li.append(element("span", "dot"), element("span", "name", name));
        if (name === state.name) li.append(element("span", "you", "you"));
        return li;
      }),
    );
  }

  function renderRooms() {
    const names = [...new Set([...state.roomList, ...state.joined])].sort();
    ui.roomList.replaceChildren(
      ...names.map((name) => {
        const r = state.rooms.get(name);
        const joined = Boolean(r && r.joined);
        const li = element("li");
        const button = element("button", "room");
        button.type = "button";
        button.dataset.room = name;
        button.classList.toggle("joined", joined);
        button.classList.toggle("active", name === state.active);
        button.title = joined ? `Open ${name}` : `Join ${name}`;
        button.append(element("span", "room-name", name));
        if (joined && r.unread > 0) button.append(element("span", "badge", String(r.unread)));
        if (!joined) button.append(element("span", "join-hint", "join"));
        button.addEventListener("click", () => (joined ? activate(name) : join(name, { activate: true })));
        li.append(button);
        return li;
      }),
    );
  }

  function renderComposer() {
    const text = ui.input.value;
    const n = length(text);
    ui.counter.textContent = `${n}/${MAX_TEXT}`;
    ui.counter.classList.toggle("over", n > MAX_TEXT);
    const online = socket.connected;
    const r = state.active ? state.rooms.get(state.active) : null;
    ui.send.disabled = !online || !r || !r.joined || n === 0 || n > MAX_TEXT || text.trim() === "";
    ui.input.disabled = !r || !r.joined;
    ui.input.placeholder = r ? `Message ${r.name}` : "Join a room to write";
  }

  function renderRoomHeader() {
    const r = state.active ? state.rooms.get(state.active) : null;
    ui.roomTitle.textContent = r ? r.name : "No room";
    show(ui.leaveRoom, Boolean(r && r.joined));
    show(ui.emptyState, !r);
  }

  function renderAll() {
    renderRooms();
    renderRoomHeader();
    renderMessages({ scroll: true });
    renderTyping();
    renderPresence();
    renderComposer();
  }

  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.status.textContent = text;
  }

  function notice(text, kind = "info") {
    ui.notice.textContent = text;
    ui.notice.dataset.kind = kind;
    show(ui.notice, true);
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => show(ui.notice, false), NOTICE_MS);
  }

  function showLogin(error) {
    show(ui.chatView, false);
    show(ui.loginView, true);
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = "Join the chat";
    ui.loginError.textContent = error || "";
    show(ui.loginError, Boolean(error));
    ui.loginName.focus();
  }

  function showChat() {
    show(ui.loginView, false);
    show(ui.chatView, true);
    ui.meName.textContent = state.name;
  }

  // ---- the socket -------------------------------------------------------------------

  const socket = io({
    autoConnect: false,
    // Read on every (re)connection attempt.
    auth: (cb) => cb({ name: state.wantedName, session: sessionToken() }),
  });

  function resetSession() {
    for (const r of state.rooms.values()) for (const t of r.typing.values()) clearTimeout(t);
    state.rooms.clear();
    state.roomList = [];
    state.roomListVersion = -1;
    state.joined = [];
    state.active = null;
    state.connectedOnce = false;
    state.name = null;
  }

  const REFUSALS = {
    "name taken": (name) => `“${name}” is already taken. Pick another nickname.`,
    "name required": () => "Please enter a nickname.",
    "name too long": () => `Nicknames are at most ${MAX_NAME} characters.`,
    "invalid name": () => "That nickname has characters that are not allowed.",
  };

  socket.on("connect_error", (err) => {
    if (socket.active) {
      // A network problem: the client retries by itself.
      if (state.connectedOnce) setStatus("reconnecting", "reconnecting…");
      else ui.loginSubmit.textContent = "Cannot reach the server, retrying…";
      return;
    }
    // Refused by the server (our nickname): no automatic retry.
    const explain = REFUSALS[err.message];
    const text = explain ? explain(state.wantedName) : `Could not join: ${err.message}`;
    resetSession();
    showLogin(text);
  });

  socket.on("connect", () => {
    const reconnected = state.connectedOnce;
    state.connectedOnce = true;
    state.name = state.wantedName;
    localStorage.setItem("chat.lastName", state.name);
    showChat();
    // A new connection may reach a restarted server: forget presence versions.
    for (const r of state.rooms.values()) {
      r.version = -1;
      r.joined = false;
    }
    state.roomListVersion = -1;
    const rooms = state.joined.length ? [...state.joined] : savedRooms() || DEFAULT_ROOMS;
    if (!state.active) state.active = rooms[0] || null;
    for (const name of rooms) join(name, { activate: false });
    if (reconnected) {
      setStatus("reconnected", "reconnected");
      notice(`Reconnected. Rejoined ${rooms.join(", ")}.`, "success");
    } else {
      setStatus("connected", "connected");
    }
    renderAll();
  });

  socket.on("disconnect", (reason) => {
    for (const r of state.rooms.values()) for (const name of [...r.typing.keys()]) clearTyping(r, name);
    if (reason === "io client disconnect") return; // we signed out
    if (reason === "io server disconnect") {
      // The server closed this session (the same tab signed in again elsewhere).
      const name = state.name;
      resetSession();
      showLogin(`${name ? `“${name}”` : "You"} signed in again from another tab, so this one was disconnected.`);
      return;
    }
    setStatus("reconnecting", "reconnecting…");
    notice("Connection lost. Reconnecting…", "warning");
    renderComposer();
  });

  socket.on("welcome", (payload) => {
    if (payload && typeof payload.name === "string") {
      state.name = payload.name;
      ui.meName.textContent = state.name;
    }
    applyRoomList(payload);
  });

  socket.on("rooms", applyRoomList);

  function applyRoomList(payload) {
    if (!payload || !Array.isArray(payload.rooms) || typeof payload.version !== "number") return;
    if (payload.version <= state.roomListVersion) return;
    state.roomListVersion = payload.version;
    state.roomList = payload.rooms.map(String);
    renderRooms();
  }

  socket.on("presence", (payload) => {
    if (!payload || typeof payload.room !== "string") return;
    const r = state.rooms.get(payload.room);
    if (!r || !r.joined) return;
    applyPresence(r, payload.users, payload.version, true);
    if (r.name === state.active) {
      renderPresence();
      renderMessages();
    }
  });

  socket.on("message", (message) => {
    if (!message || typeof message.room !== "string") return;
    const r = state.rooms.get(message.room);
    if (!r || !r.joined) return;
    if (!addServerMessage(r, message)) return;
    clearTyping(r, message.from);
    if (r.name === state.active) renderMessages();
    else {
      r.unread += 1;
      renderRooms();
    }
  });

  socket.on("typing", (payload) => {
    if (!payload || typeof payload.room !== "string" || typeof payload.name !== "string") return;
    const r = state.rooms.get(payload.room);
    if (!r || !r.joined || payload.name === state.name) return;
    clearTimeout(r.typing.get(payload.name));
    if (payload.typing === false) {
      r.typing.delete(payload.name);
    } else {
      r.typing.set(
        payload.name,
        setTimeout(() => clearTyping(r, payload.name), TYPING_SHOW_MS),
      );
    }
    if (r.name === state.active) renderTyping();
  });

  socket.on("error", (payload) => {
    const message = payload && payload.message;
    if (message === "rate limited") notice("Slow down: you are sending messages too fast.", "warning");
    else if (message) notice(String(message), "warning");
  });

  // ---- actions ----------------------------------------------------------------------

  function saveRooms() {
    sessionStorage.setItem("chat.rooms", JSON.stringify(state.joined));
  }

  function join(name, { activate: open }) {
    socket.timeout(ACK_TIMEOUT_MS).emit("join", name, (err, reply) => {
      if (err) {
        notice(`Could not join ${name}: the server did not answer.`, "error");
        return;
      }
      if (!reply || !reply.ok) {
        const why = reply && reply.error === "invalid room name"
          ? "room names are # and 1 to 32 of a-z, 0-9 and -"
          : (reply && reply.error) || "unknown error";
        showRoomError(`Could not join ${name}: ${why}.`);
        return;
      }
      const r = room(reply.room);
      r.joined = true;
      for (const message of reply.history || []) addServerMessage(r, message);
      applyPresence(r, reply.users, reply.version, false);
      if (!state.joined.includes(r.name)) state.joined.push(r.name);
      saveRooms();
      if (open || !state.active || !state.rooms.get(state.active)?.joined) state.active = r.name;
      renderAll();
    });
  }

  function leave(name) {
    socket.timeout(ACK_TIMEOUT_MS).emit("leave", name, (err, reply) => {
      if (err || !reply || !reply.ok) {
        notice(`Could not leave ${name}.`, "error");
        return;
      }
      forgetRoom(name);
    });
  }

  function forgetRoom(name) {
    const r = state.rooms.get(name);
    if (r) for (const t of r.typing.values()) clearTimeout(t);
    state.rooms.delete(name);
    state.joined = state.joined.filter((n) => n !== name);
    saveRooms();
    if (state.active === name) state.active = state.joined[0] || null;
    renderAll();
  }

  function activate(name) {
    stopTyping();
    state.active = name;
    const r = state.rooms.get(name);
    if (r) r.unread = 0;
    renderAll();
    ui.input.focus();
  }

  function showRoomError(text) {
    ui.roomError.textContent = text;
    show(ui.roomError, Boolean(text));
  }

  function stopTyping() {
    if (state.typingRoom && state.typingSentAt && socket.connected) {
      socket.volatile.emit("typing", { room: state.typingRoom, typing: false });
    }
    state.typingSentAt = 0;
    state.typingRoom = null;
  }

  function noteTyping() {
    const r = state.active && state.rooms.get(state.active);
    if (!r || !r.joined || !socket.connected) return;
    if (ui.input.value.trim() === "") {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (state.typingRoom === r.name && now - state.typingSentAt < TYPING_RESEND_MS) return;
    state.typingRoom = r.name;
    state.typingSentAt = now;
    socket.volatile.emit("typing", { room: r.name, typing: true });
  }

  function sendMessage() {
    const r = state.active && state.rooms.get(state.active);
    const text = ui.input.value;
    if (!r || !r.joined || !socket.connected || text.trim() === "" || length(text) > MAX_TEXT) return;
    stopTyping();
    const line = {
      kind: "message",
      position: nextLocalPosition(r),
      from: state.name,
      text,
      ts: Date.now(),
      mine: true,
      status: "pending",
    };
    insertLine(r, line);
    ui.input.value = "";
    renderComposer();
    renderMessages({ scroll: true });
    socket.timeout(ACK_TIMEOUT_MS).emit("message", { room: r.name, text }, (err, reply) => {
      const index = r.messages.indexOf(line);
      if (index < 0) return; // the room was left meanwhile
      r.messages.splice(index, 1);
      if (err || !reply || !reply.ok) {
        line.status = "failed";
        line.error = err ? "no answer from the server" : (reply && reply.error) || "refused";
        // After everything that was sent before the server said no.
        line.position = nextLocalPosition(r);
      } else {
        line.status = "sent";
        line.id = reply.id;
        line.ts = reply.ts;
        r.ids.add(reply.id);
        // Its place among the others, now that it has an id.
        line.position = reply.id;
      }
      insertLine(r, line);
      if (r.name === state.active) renderMessages();
    });
  }

  // ---- wiring -------------------------------------------------------------------------

  ui.loginForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = ui.loginName.value.trim();
    if (!name) return showLogin("Please enter a nickname.");
    if (length(name) > MAX_NAME) return showLogin(`Nicknames are at most ${MAX_NAME} characters.`);
    resetSession();
    state.wantedName = name;
    show(ui.loginError, false);
    ui.loginSubmit.disabled = true;
    ui.loginSubmit.textContent = "Joining…";
    socket.connect();
  });

  ui.logout.addEventListener("click", () => {
    stopTyping();
    socket.disconnect();
    sessionStorage.removeItem("chat.rooms");
    resetSession();
    showLogin("");
  });

  ui.roomForm.addEventListener("submit", (event) => {
    event.preventDefault();
    let name = ui.roomInput.value.trim().toLowerCase();
    if (name && !name.startsWith("#")) name = `#${name}`;
    if (!ROOM_NAME.test(name)) {
      showRoomError("Room names are # followed by 1 to 32 of a-z, 0-9 and -.");
      return;
    }
    showRoomError("");
    ui.roomInput.value = "";
    const r = state.rooms.get(name);
    if (r && r.joined) activate(name);
    else join(name, { activate: true });
  });

  ui.leaveRoom.addEventListener("click", () => {
    if (state.active) leave(state.active);
  });

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });

  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendMessage();
    }
  });

  ui.input.addEventListener("input", () => {
    renderComposer();
    noteTyping();
  });

  ui.loginName.value = localStorage.getItem("chat.lastName") || "";
  showLogin("");
})();
