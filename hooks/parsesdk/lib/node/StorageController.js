"use strict";

Object.defineProperty(exports, "__esModule", {
  value: true
});
exports.default = void 0;
var _StorageController = _interopRequireDefault(require("./StorageController.react-native"));
var _StorageController2 = _interopRequireDefault(require("./StorageController.browser"));
var _StorageController3 = _interopRequireDefault(require("./StorageController.weapp"));
var _StorageController4 = _interopRequireDefault(require("./StorageController.default"));
function _interopRequireDefault(e) {
  return e && e.__esModule ? e : {
    default: e
  };
}
let StorageController = _StorageController4.default;
var _default = exports.default = StorageController;