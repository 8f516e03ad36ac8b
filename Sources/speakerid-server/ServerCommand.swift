import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import SpeakerID

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `speakerid-server`: the models folder over HTTP (docs/server.md).
@main
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speakerid-server",
        abstract: "Serve a models folder over HTTP: enrol, list, rename, remove, identify and verify (JSON as speakerid's --json).",
        discussion: """
            Prints one line when it is ready to serve, with the address it listens on (--port 0 \
            takes a free port). Every route but /healthz and /openapi.json needs \
            `Authorization: Bearer KEY` with a key whose SHA-256 is in --keys FILE (one \
            `SCOPE SHA256HEX` a line; `speakerid-server new-key` makes one); the file is read \
            again on SIGHUP. Without keys the server starts only on loopback with --no-auth.
            """,
        subcommands: [NewKeyCommand.self])

    @Option(help: ArgumentHelp("Folder of speaker models (the CLI's; created at the first enrolment).", valueName: "dir"))
    var models: String?
    @Option(help: ArgumentHelp("The UBM the speakers are (and will be) MAP-adapted from.", valueName: "file"))
    var ubm: String?
    @Option(help: ArgumentHelp("Calibration file (speakerid calibrate): answers carry calibrated LLRs and posteriors.", valueName: "file"))
    var calibration: String?
    @Option(
        help: ArgumentHelp(
            "Scoring system, as speakerid's --system: gmm (the default); dvector (the speaker encoder's cosine to each speaker's d-vector); fusion (both, fused). dvector and fusion need the encoder and a --calibration of that system (speakerid calibrate --system ...).",
            valueName: "system"))
    var system: ScoringSystem = .gmm
    @Option(
        help: ArgumentHelp(
            "The speaker encoder (default: $SPEAKERID_ENCODER, else ~/.local/share/speakerid/\(EncoderFile.defaultFileName), when there): it scores with --system dvector and fusion, and gives enrolled speakers their d-vectors.",
            valueName: "file"))
    var encoder: String?
    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host"))
    var host = "127.0.0.1"
    @Option(help: ArgumentHelp("Port to listen on; 0 takes a free one (the ready line says which).", valueName: "port"))
    var port = 8080
    @Option(help: ArgumentHelp("API keys file: one `SCOPE SHA256HEX` a line (scopes: use, admin).", valueName: "file"))
    var keys: String?
    @Flag(help: "Serve without API keys (refused unless --host is a loopback address).")
    var noAuth = false
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("As identify's and verify's --threshold (on calibrated LLRs with --calibration).", valueName: "T"))
    var threshold: Double?
    @Option(help: ArgumentHelp("Speakers listed per identification.", valueName: "n"))
    var top = 5
    @Option(help: ArgumentHelp("As identify's --min-speech: less speech than this is answered too_short.", valueName: "s"))
    var minSpeech = DecisionRule.defaultMinimumSpeechSeconds
    @Option(help: ArgumentHelp("Largest request body accepted, in MB (413 beyond).", valueName: "MB"))
    var maxBodyMb = 64
    @Option(help: ArgumentHelp("Longest recording accepted, in seconds (413 beyond).", valueName: "s"))
    var maxAudioSeconds = 600.0
    @Option(help: ArgumentHelp("Requests served at once (429 beyond).", valueName: "n"))
    var maxConcurrent = 64
    @Option(help: ArgumentHelp("HTTP connections open at once (429 beyond; idle ones close after 60 s).", valueName: "n"))
    var maxConnections = 256
    @Option(help: ArgumentHelp("A connection that has not sent a whole request head this long after it opened is closed.", valueName: "s"))
    var headerTimeout = 30.0
    @Option(help: ArgumentHelp("Live streams (GET /v1/stream) open at once (429 beyond).", valueName: "n"))
    var maxStreams = 16
    @Option(help: ArgumentHelp("Longest live stream, in seconds (the stream is then closed with an error).", valueName: "s"))
    var maxStreamSeconds = 14_400.0
    @Option(help: ArgumentHelp("A live stream that sends nothing this long is closed.", valueName: "s"))
    var streamIdleSeconds = 30.0
    @Option(help: ArgumentHelp("POST /v1/track: recordings longer than this are tracked as a job (202, GET /v1/jobs/{id}).", valueName: "s"))
    var trackJobSeconds = 60.0
    @Option(help: ArgumentHelp("Track jobs waiting or running at once (429 beyond).", valueName: "n"))
    var maxJobs = 8

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func validate() throws {
        if system != .gmm && calibration == nil {
            throw ValidationError(
                "--system \(system.rawValue) decides on calibrated LLRs: give --calibration FILE (speakerid calibrate --system \(system.rawValue))")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
        if keys != nil && noAuth { throw ValidationError("give either --keys FILE or --no-auth, not both") }
        if noAuth && !Self.isLoopback(host) {
            throw ValidationError("--no-auth is refused on \(host): without keys the server listens on loopback only (127.0.0.1 or ::1)")
        }
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a finite number") }
        if !(minSpeech >= 0 && minSpeech <= 3600) { throw ValidationError("--min-speech must be 0-3600 seconds") }
        if !(1...4096).contains(maxBodyMb) { throw ValidationError("--max-body-mb must be 1-4096") }
        if !(maxAudioSeconds > 0 && maxAudioSeconds <= 86400) { throw ValidationError("--max-audio-seconds must be more than 0 and at most 86400") }
        if !(1...100_000).contains(maxConcurrent) { throw ValidationError("--max-concurrent must be 1-100000") }
        if !(1...100_000).contains(maxConnections) { throw ValidationError("--max-connections must be 1-100000") }
        if !(headerTimeout > 0 && headerTimeout <= 3600) { throw ValidationError("--header-timeout must be above 0 and at most 3600 seconds") }
        if !(1...10_000).contains(maxStreams) { throw ValidationError("--max-streams must be 1-10000") }
        if !(maxStreamSeconds > 0 && maxStreamSeconds <= 604_800) { throw ValidationError("--max-stream-seconds must be above 0 and at most 604800") }
        if !(streamIdleSeconds > 0 && streamIdleSeconds <= 86_400) {
            throw ValidationError("--stream-idle-seconds must be above 0 and at most 86400")
        }
        if !(trackJobSeconds >= 0 && trackJobSeconds <= 86_400) { throw ValidationError("--track-job-seconds must be 0-86400") }
        if !(1...1000).contains(maxJobs) { throw ValidationError("--max-jobs must be 1-1000") }
    }

    /// The OpenAPI document the server serves (Sources/speakerid-server/Resources/openapi.json).
    static func openAPIDocument() throws -> Data {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            throw ValidationError("the server's OpenAPI document (openapi.json) is missing beside the executable")
        }
        return data
    }

    func settings() -> ServerSettings {
        var s = ServerSettings(models: models ?? "", ubmPath: ubm ?? "")
        s.calibrationPath = calibration
        s.system = system
        s.encoderPath = encoderPath()
        s.encoderRequired = encoder != nil || system != .gmm
        s.threshold = threshold
        s.top = top
        s.minimumSpeechSeconds = minSpeech
        s.maxBodyBytes = maxBodyMb << 20
        s.maxAudioSeconds = maxAudioSeconds
        s.maxConcurrentRequests = maxConcurrent
        s.maxConnections = maxConnections
        s.headerTimeoutSeconds = headerTimeout
        s.maxStreams = maxStreams
        s.maxStreamSeconds = maxStreamSeconds
        s.streamIdleSeconds = streamIdleSeconds
        s.trackJobSeconds = trackJobSeconds
        s.maxJobs = maxJobs
        return s
    }

    /// --encoder, else the default encoder when it is there (required with --system dvector
    /// and fusion, as speakerid's commands require it).
    func encoderPath() -> String? {
        if let encoder { return encoder }
        guard let path = EncoderFile.defaultPath(), system != .gmm || FileSystem.exists(path) else { return nil }
        return path
    }

    func run() async throws {
        if system != .gmm && encoder == nil && !(EncoderFile.defaultPath().map(FileSystem.exists) ?? false) {
            throw ValidationError(
                "--system \(system.rawValue) scores with the speaker encoder: none at \(EncoderFile.defaultPath() ?? "its default place"); run `speakerid encoder fetch`, or name one with --encoder"
            )
        }
        // Optional to the parser so that `new-key` needs neither (the parent's checks run for
        // a subcommand too).
        if models == nil || ubm == nil { throw ValidationError("give --models DIR and --ubm FILE (the folder to serve and its UBM)") }
        if keys == nil && !noAuth {
            throw ValidationError("give --keys FILE (`speakerid-server new-key` makes a key and its line), or --no-auth on a loopback --host")
        }
        let auth: Authenticator
        let folder: SpeakerFolder
        do {
            auth = try Authenticator(path: noAuth ? nil : keys)
            folder = try SpeakerFolder(settings: settings())
        } catch let e as KeysFileError {
            throw ValidationError(e.description)
        } catch let e as SpeakerFolder.StartError {
            throw ValidationError(e.description)
        }
        let page: WebPage
        do { page = try WebPage.load() } catch { throw ValidationError(error.description) }
        let server = Server(folder: folder, auth: auth, openAPI: try Self.openAPIDocument(), page: page)
        // SIGHUP: the keys file read again (a bad file keeps the keys in force, and says why).
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            do {
                try auth.reload()
                FileHandle.standardError.write(Data("speakerid-server: keys read again (\(auth.keyCount) keys)\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("speakerid-server: \(error); the keys in force stay\n".utf8))
            }
        }
        hangup.resume()
        let how = noAuth ? "without API keys (--no-auth)" : "\(auth.keyCount) API key(s) from \(keys ?? "")"
        let models = models ?? "", host = host
        var logger = Logger(label: "speakerid-server")
        logger.logLevel = .warning
        let app = Application(
            router: server.router(),
            server: server.httpServer(),
            configuration: .init(address: .hostname(host, port: port), serverName: "speakerid-server"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                print("speakerid-server: serving \(models) at http://\(shown):\(bound) \(how)")
                fflush(nil)
            },
            logger: logger)
        try await app.runService()
        withExtendedLifetime(hangup) {}
    }
}

/// `speakerid-server new-key`: a new random key and its keys-file line.
struct NewKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-key",
        abstract: "Print a new random API key, then the line to add to the keys file (its scope and SHA-256).",
        discussion: "The key is shown once: give it to the client; the keys file holds only its digest.")

    @Option(help: ArgumentHelp("What the key may do: use (identify, verify, list) or admin (everything).", valueName: "use|admin"))
    var scope: Scope = .use

    func run() throws {
        let (key, line) = APIKeys.newKey(scope: scope)
        print("key: \(key)")
        print(line)
    }
}

extension Scope: ExpressibleByArgument {}
extension ScoringSystem: ExpressibleByArgument {}
