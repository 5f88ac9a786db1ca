"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = void 0;
/* global WebSocket */
let WebSocketController;
try {
  WebSocketController = require('ws');
} catch (_) {
  // WebSocket unavailable
}
var _default = exports.default = WebSocketController;