package faults

// edge names a class of issue 18: the boundary with operators and the app.
type edge string
