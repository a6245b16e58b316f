// Package drivefake is an in-process fake of the parts of the Google Drive v3
// REST API that ledger-export uses, faithful enough that the official client
// google.golang.org/api/drive/v3 talks to it unchanged.
//
// Point the client at it with
//
//	drive.NewService(ctx,
//		option.WithEndpoint(fake.URL()+"/drive/v3/"),
//		option.WithHTTPClient(fake.Client()),
//		option.WithoutAuthentication())
//
// The client derives the upload URL from the endpoint, so uploads go to
// fake.URL()+"/upload/drive/v3/files".
//
// # What it implements
//
//   - files.create as a resumable upload (uploadType=resumable): a POST with
//     JSON metadata answers 200 with a Location header carrying the session
//     URI (with upload_id). Chunks are accepted with PUT (the documented
//     method) and POST (what the Go client sends). Every chunk but the last
//     must be a multiple of 256 KiB and must start at the number of bytes
//     already stored. A chunk that is not the last answers 308 with
//     "Range: bytes=0-N" (no Range when nothing is stored), or, when the
//     request carries "X-GUploader-No-308: yes" (the Go client always sends
//     it), 200 with "X-Http-Status-Code-Override: 308". The last chunk
//     answers 200 with the file resource. "Content-Range: bytes */*" and
//     "bytes */TOTAL" with an empty body are status queries; "bytes */TOTAL"
//     completes the upload when TOTAL bytes are stored, as the Go client's
//     empty final chunk expects. A declared X-Upload-Content-Length must be
//     met exactly. Sessions expire after Options.SessionTTL (one week by
//     default, as in Drive) and then answer 404, as does an unknown upload_id.
//     The file becomes visible only when its upload completes.
//   - files.create as uploadType=multipart (multipart/related, JSON metadata
//     part then media part) and uploadType=media (content only, "Untitled"),
//     and metadata-only files.create (POST /drive/v3/files), which is how a
//     folder is created.
//   - files.list with q, pageSize, pageToken, orderBy (createdTime,
//     modifiedTime, name, each optionally "desc"), fields, and the shared
//     drive parameters supportsAllDrives, includeItemsFromAllDrives, corpora,
//     driveId and spaces, which are validated.
//   - files.get (metadata, or content with alt=media, honouring Range),
//     files.update (PATCH: name, mimeType, description, modifiedTime,
//     trashed, appProperties and properties merged key by key with null
//     deleting a key, addParents and removeParents) and files.delete (204).
//   - files.export of a Google Sheet (a file created with the metadata mimeType
//     application/vnd.google-apps.spreadsheet, from an uploaded CSV, as Drive
//     converts it) as text/csv: the CSV it holds. Other target types answer
//     400; a file that is not a Docs Editors file 403 fileNotExportable;
//     content over 10 MB 403 exportSizeLimitExceeded. Like Drive, export takes
//     no supportsAllDrives, and a Docs Editors file has no md5Checksum,
//     headRevisionId or size, and answers alt=media with 403
//     fileNotDownloadable.
//   - The fields parameter (partial response) for every method that returns
//     a resource, including nested selections such as
//     "files(id,name,appProperties),nextPageToken". Without fields, a File
//     carries only kind, id, name and mimeType and a file list only kind,
//     incompleteSearch, nextPageToken and files(kind,id,name,mimeType), as in
//     Drive v3.
//   - Errors in the Google JSON error format, so googleapi.Error is filled in,
//     including Errors[].Reason. A malformed q or orderBy answers 400
//     "Invalid Value" (reason invalid) like Drive, with the parser's
//     explanation in the X-Drivefake-Detail response header.
//   - Injected faults (Options.Faults, Server.AddFault): HTTP errors with a
//     reason, delays, dropped connections (reset mid-request), and lost
//     chunks (acknowledged but not stored, so that the next chunk meets a
//     400 Content-Range mismatch). Each fault can run a Trigger when it
//     matches; FaultsServed counts the requests each fault affected, and
//     ClearFaults retires them all.
//   - GET /_internal/healthz answers 200.
//
// # Where it departs from Drive
//
//   - There is no authentication, no permissions, no users, no sharing and no
//     quota; 401, 403 and 429 happen only as injected faults.
//   - Shared drives: by default every folder is in My Drive, where driveId
//     and corpora are validated but do not filter. With Options.SharedDrive
//     the folders and the files under them are in that one shared drive,
//     with Drive's rules (shared.go): without supportsAllDrives=true a
//     request naming such a file answers 404 notFound, and files.list
//     returns them only with includeItemsFromAllDrives=true,
//     supportsAllDrives=true and corpora=drive with the drive's id (or
//     corpora=allDrives). There are no drives API, members or roles, and
//     files carry no driveId field.
//   - The q grammar covers name (=, !=, contains), mimeType (=, !=,
//     contains), 'ID' in parents, trashed (= or !=), createdTime and
//     modifiedTime (comparisons with an RFC 3339 value), appProperties and
//     properties (has { key='k' and value='v' }), and, or, not and
//     parentheses. Other terms (fullText, starred, owners, ...) answer 400.
//     "name contains" is approximated as a case-insensitive prefix match of
//     every word of the value against the words of the name; "name =" is an
//     exact, case-sensitive match. Strings accept only the \' and \\ escapes.
//   - Folders named in Options.Folders exist for files.get and as parents
//     but are not returned by files.list and cannot be updated or deleted.
//     Folders created through the API are ordinary files.
//   - A file has at most one parent; more answers 403 cannotAddParent. A file
//     created without parents has no parents (Drive would use My Drive).
//     Trashing a folder does not trash its contents; deleting one deletes
//     its descendants.
//   - Unknown writable metadata fields (starred, ...) are ignored; an id in
//     the create body is ignored rather than honoured.
//   - Content is replaced by files.update with media (resumable, multipart
//     or media), making a new revision; revisions.list, get (alt=media) and
//     update (keepForever) are served, see revision.go for their departures.
//     There are no exports of Google Docs types, no changes feed and no
//     batch requests.
//   - A chunk that overlaps bytes already stored is accepted if the
//     overlapping bytes are identical (only the new bytes are stored), which
//     is what the Go client relies on when it re-sends a chunk after a
//     dropped connection; overlapping bytes that differ, a gap, or a
//     non-final chunk that is not a multiple of 256 KiB answer 400 and store
//     nothing. Drive's guide does not say what it answers in these cases.
//   - The 308 status line reads "308 Permanent Redirect" (Go's text), not
//     "308 Resume Incomplete"; clients only read the code.
//   - The order of files.list without orderBy is creation order.
//     modifiedTime changes on every successful update unless the update
//     sets it.
//   - Requests() keeps every request record for the life of the Server.
//   - With Options.Dir, files and resumable sessions persist on disk; without
//     it they live in memory only. Requests() and the fault list are never
//     persisted.
package drivefake
