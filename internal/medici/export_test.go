package medici

// CompareValues exposes compareValues to the external tests.
var CompareValues = compareValues

// Continuation exposes continuation to the external tests.
var Continuation = continuation
