import Dispatch
import Foundation
import SwitchboardChannels
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore

/// Bearer tokens of the agent API. A token is checked by its SHA-256: against the tokens issued
/// through the local socket (`POST /v1/agents/{agent}/tokens`, stored as hashes only) and the
/// tokens the configuration names by secret reference (`agents[].token`, hashed when loaded).
/// Neither the token nor its hash is ever logged.
final class AgentAuthenticator: Sendable {
    let store: Store
    let logger: Logger
    /// SHA-256 (hex) of each configured token → agent.
    private let configured: [String: String]
    private let agents: Set<String>

    init(store: Store, agents: [AgentDefinition], environment: [String: String], logger: Logger) {
        self.store = store
        self.logger = logger
        self.agents = Set(agents.map(\.id))
        var configured: [String: String] = [:]
        for agent in agents {
            guard let text = agent.token else { continue }
            guard case .success(let reference) = SecretReference.parse(text) else { continue }
            do {
                let secret = try reference.resolve(environment: environment)
                configured[Self.hash(secret.bytes)] = agent.id
            } catch {
                logger.error("an agent's API token could not be read; that agent can still use tokens issued over the local socket",
                             ["agent": agent.id, "reason": error.description])
            }
        }
        self.configured = configured
    }

    static func hash(_ token: [UInt8]) -> String { DigestText.hex(HMAC.digest(.sha256, token)) }

    /// The agent whose token came with the request, or 401.
    func authenticate(_ request: HTTPRequest, _ done: @escaping @Sendable (Result<String, AgentAPIError>) -> Void) {
        guard let header = request.head.headers["Authorization"], header.count > 7,
              header.prefix(7).lowercased() == "bearer " else {
            return done(.failure(Self.unauthorized("send the agent's token as \"Authorization: Bearer TOKEN\"")))
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 256 else { return done(.failure(Self.unauthorized("the token is empty or too long"))) }
        let digest = Self.hash(Array(token.utf8))
        if let agent = configured[digest] { return done(.success(agent)) }
        let (store, agents, logger) = (self.store, self.agents, self.logger)
        AgentRoutes.readers.async {
            do throws(StoreError) {
                if let agent = try store.agentID(forTokenSHA256: digest), agents.contains(agent) {
                    return done(.success(agent))
                }
                logger.notice("agent API request with an unknown or revoked token", ["peer": request.peer.description])
                done(.failure(Self.unauthorized("the token is unknown or revoked")))
            } catch {
                done(.failure(.store(error)))
            }
        }
    }

    /// Makes a new token for a configured agent and stores its hash; answers the token (once).
    func issue(agent: String, label: String?) async throws -> String {
        guard agents.contains(agent) else {
            throw AgentAPIError.notFound("no agent \(agent) in the configuration", hint: "add the agent to \"agents\" in adapters.json and reload first")
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = "sbt_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try await store.addAgentToken(sha256: Self.hash(Array(token.utf8)), agentID: agent, label: label)
        logger.info("agent API token issued", ["agent": agent, "label": label ?? "-"])
        return token
    }

    private static func unauthorized(_ message: String) -> AgentAPIError {
        AgentAPIError(status: 401, code: "unauthorized", message: message,
                      hint: "a supervisor issues tokens with 'switchboard agent-token AGENT' on the daemon's host")
    }
}
