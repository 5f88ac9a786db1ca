"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = void 0;
var _LocalDatastoreController = _interopRequireDefault(require("./LocalDatastoreController.react-native"));
var _LocalDatastoreController2 = _interopRequireDefault(require("./LocalDatastoreController.default"));
function _interopRequireDefault(e) {
  return e && e.__esModule ? e : {
    default: e
  };
}
let LocalDatastoreController = _LocalDatastoreController2.default;
var _default = exports.default = LocalDatastoreController;