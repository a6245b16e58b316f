package export

import "context"

// The claim step: stamp the date's entries with the attempt's generation, then make the file.

// produce claims the batch and makes the date's file: it resumes an earlier attempt's upload when it can, and
// otherwise clears what earlier attempts left and uploads anew. It returns once Drive holds the whole file with
// its final properties.
func (a *attempt) produce(ctx context.Context) (File, Summary, error) {
	// The account map is read before anything is claimed: a map the accountant must fix changes nothing.
	r, err := a.loaded(ctx)
	if err != nil {
		return File{}, Summary{}, err
	}
	a.Runner = r
	cctx, endClaim := a.obs().StartStep(ctx, StepClaim, a.b.Date, a.b.Generation)
	err = a.Queue.Claim(cctx, a.b, a.Now())
	endClaim(err)
	if err != nil {
		return File{}, Summary{}, stepError("claim", ClassMongo, err)
	}
	a.reach(PointClaimed, 0)

	ctx, endUpload := a.obs().StartStep(ctx, StepUpload, a.b.Date, a.b.Generation)
	file, s, err := a.uploadFile(ctx)
	endUpload(err)
	return file, s, err
}
