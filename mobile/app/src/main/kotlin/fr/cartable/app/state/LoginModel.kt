package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.reason

/** "Connexion": the portal's address, login and password; then the new password if asked. */
class LoginModel(private val app: AppModel, defaultServerUrl: String) {
    var serverUrl by mutableStateOf(defaultServerUrl)
    var login by mutableStateOf("")
    var password by mutableStateOf("")
    var busy by mutableStateOf(false)
        private set
    var error by mutableStateOf<String?>(null)
        private set

    /** True after a login with a one-time password: the parent chooses a new one first. */
    var mustChangePassword by mutableStateOf(false)
        private set
    var newPassword by mutableStateOf("")
    var newPasswordAgain by mutableStateOf("")

    suspend fun submit() {
        if (serverUrl.isBlank() || login.isBlank() || password.isEmpty()) {
            error = "Saisissez l'adresse du portail, votre identifiant et votre mot de passe."
            return
        }
        busy = true
        error = null
        try {
            val account = app.cartable.login(serverUrl.trim(), login.trim(), password, app.deviceName)
            if (account.mustChangePassword) {
                mustChangePassword = true
            } else {
                password = ""
                app.enter(account.displayName)
                app.sync()
            }
        } catch (e: CartableException.Network) {
            error = "Le portail ne répond pas. Vérifiez votre connexion et l'adresse du portail."
        } catch (e: CartableException.Unauthorized) {
            error = "Identifiant ou mot de passe incorrect."
        } catch (e: CartableException) {
            error = e.reason
        } finally {
            busy = false
        }
    }

    /** "Je choisis mon mot de passe". */
    suspend fun changePassword() {
        if (newPassword != newPasswordAgain) {
            error = "Les deux mots de passe ne sont pas identiques."
            return
        }
        busy = true
        error = null
        try {
            app.cartable.changePassword(password, newPassword)
            mustChangePassword = false
            password = ""
            newPassword = ""
            newPasswordAgain = ""
            val account = app.cartable.account()
            app.enter(account?.displayName ?: login)
            app.sync()
        } catch (e: CartableException) {
            error = e.reason
        } finally {
            busy = false
        }
    }
}
