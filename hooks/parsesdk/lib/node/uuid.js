"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = void 0;
let uuid = require('crypto').randomUUID;

// Use Node.js crypto.randomUUID() for Node and React Native builds

var _default = exports.default = uuid;