package medici

// CompareValues exposes compareValues to the external tests.
var CompareValues = compareValues
