package fr.cartable.app.state

import fr.cartable.mobile.CartableException
import fr.cartable.mobile.PushKind
import fr.cartable.mobile.PushNotification
import fr.cartable.mobile.PushSetup
import fr.cartable.mobile.PushSubscription

/**
 * Where the phone's push service hands over what it receives. Android's
 * `FirebaseMessagingService` (`onNewToken`, `onMessageReceived`) or a UnifiedPush receiver
 * (`onNewEndpoint`, `onMessage`) calls these methods; the desktop has no push service, its tests
 * call them with what a loopback push service received from the real server.
 *
 * A message is the raw encrypted body the push service delivered: the library decrypts it with
 * this phone's keys, syncs, and writes the notification in French from the phone's own data (the
 * message carries no name, amount or reason). The app announces it and syncs its screens.
 */
class PushReceiver(private val app: AppModel) {

    /**
     * What to subscribe the push service with (the server's `applicationServerKey`, this
     * phone's `p256dh` and `auth`); null when offline or signed out.
     */
    suspend fun setup(): PushSetup? = try {
        app.cartable.pushSetup()
    } catch (e: CartableException) {
        null
    }

    /**
     * The push service gave this phone an [endpoint] (the first time, or a new one): the
     * server sends to it from now on, for the [kinds] wanted. Null when it could not be
     * registered (offline, signed out): call again at the next start.
     */
    suspend fun onNewEndpoint(endpoint: String, kinds: List<PushKind> = PushKind.entries): PushSubscription? = try {
        app.cartable.registerPush(endpoint, kinds)
    } catch (e: CartableException.Network) {
        null
    } catch (e: CartableException) {
        app.report(e)
        null
    }

    /**
     * A message arrived ([body]: the encrypted bytes as delivered). Announces the decision,
     * invoice or information it tells of, in French, then syncs every screen. Returns the
     * notification for the system's tray (title, body, tag to replace an older one of the same
     * kind), or null for a message that is not for this phone or is damaged (ignored).
     */
    suspend fun onMessage(body: ByteArray): PushNotification? {
        if (!app.signedIn) return null
        val notification = try {
            app.cartable.receivePush(body)
        } catch (e: CartableException.InvalidInput) {
            return null
        } catch (e: CartableException) {
            app.report(e)
            return null
        }
        app.announcements += announcement(notification)
        app.sync()
        return notification
    }

    companion object {
        /** What the snackbar says: "Réservation refusée — Restauration scolaire de Hugo le …". */
        fun announcement(notification: PushNotification): String = "${notification.title} — ${notification.body}"
    }
}
