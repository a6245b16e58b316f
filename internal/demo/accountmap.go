package demo

import _ "embed"

// AccountMap is the demo's account map (accountmap.csv): every account the demo books, mapped to a Xero code, a
// QuickBooks Online account name, a tax rate and a tracking option, as an accountant would fill it in for
// internal/layout's import presets. Its path from the module's root is AccountMapPath.
//
//go:embed accountmap.csv
var AccountMap []byte

// AccountMapPath is accountmap.csv's path from the module's root, for LAYOUT's accountMap.
const AccountMapPath = "internal/demo/accountmap.csv"
